/**
 * "Devices can trust this server": the local CA's fingerprint, a download of `/ca.pem` and short
 * steps for each kind of device. Shown wherever a device is pointed at this server over HTTPS.
 */

export function TrustServer({ fingerprint }: { fingerprint: string }) {
  return (
    <div class="trust-server">
      <h3>Devices can trust this server</h3>
      <p class="muted small">
        Hearth signs its HTTPS certificate with its own certificate authority (CA). Each phone or computer trusts that CA once; then apps connect without
        warnings. Check that the file you install shows this fingerprint (SHA-256):
      </p>
      <p>
        <code class="fingerprint" data-ca-fingerprint={fingerprint}>
          {fingerprint}
        </code>
      </p>
      <p>
        <a class="btn btn-secondary" href="/ca.pem" download="hearth-ca.pem">
          Download the CA certificate
        </a>
      </p>
      <details>
        <summary>Android</summary>
        <ol class="small">
          <li>Open this page on the phone and download the certificate.</li>
          <li>
            Settings → Security &amp; privacy → More security settings → Encryption &amp; credentials → Install a certificate → <strong>CA certificate</strong>;
            pick <code>hearth-ca.pem</code>.
          </li>
          <li>Apps that trust user CAs (the Bitwarden app does) then connect.</li>
        </ol>
      </details>
      <details>
        <summary>iPhone and iPad</summary>
        <ol class="small">
          <li>Open this page in Safari and download the certificate; allow the profile download.</li>
          <li>Settings → General → VPN &amp; Device Management → the Hearth profile → Install.</li>
          <li>
            Settings → General → About → Certificate Trust Settings → turn on <strong>full trust</strong> for the Hearth local CA.
          </li>
        </ol>
      </details>
      <details>
        <summary>Desktops</summary>
        <ul class="small">
          <li>
            Debian, Ubuntu: copy it to <code>/usr/local/share/ca-certificates/hearth-ca.crt</code>, then run <code>sudo update-ca-certificates</code>.
          </li>
          <li>
            macOS: open it in Keychain Access (System keychain), then set “When using this certificate” to <strong>Always Trust</strong>.
          </li>
          <li>Windows: open it → Install Certificate → Local Machine → “Trusted Root Certification Authorities”.</li>
          <li>
            Firefox keeps its own list: Settings → Privacy &amp; Security → Certificates → View Certificates → Authorities → Import. The <code>bw</code> CLI
            (Node.js): <code>NODE_EXTRA_CA_CERTS=hearth-ca.pem bw …</code>.
          </li>
        </ul>
      </details>
    </div>
  );
}
