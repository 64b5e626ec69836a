/**
 * Lines of log a job keeps (the newest), and the length a line is cut to. Apart from the service,
 * so the command definitions name them without loading it.
 */
export const LOG_LINES = 200;
export const LOG_LINE_LENGTH = 1000;
