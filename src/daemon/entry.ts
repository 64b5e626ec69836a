/**
 * hearthd's bundled entry point: the young generation's start-up size is set (./heap.ts) before
 * the daemon's modules load, since a bundle evaluates its static imports first.
 */
import './heap.js';

await import('./main.js');
