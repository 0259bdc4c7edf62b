import { createHash } from 'node:crypto';
import { reputation, type Reputation } from './reputation';

/**
 * Thumbprint (SHA-1 hex) of a vendor's code-signing certificate number `n`.
 * Synthetic, and independent of the corpus seed, so a vendor signs with the
 * same certificates whatever the seed.
 */
export function certificateOf(vendor: string, n: number): string {
  return createHash('sha1').update(`ksn-emulator certificate\u0000${vendor}\u0000${n}`).digest('hex');
}

export interface WellKnown {
  readonly reputation: Reputation;
  /** Fixed file size, where the real object has one. */
  readonly size?: number;
}

const EICAR: WellKnown = { reputation: reputation('malicious'), size: 68 };
const malicious: WellKnown = { reputation: reputation('malicious') };
const clean: WellKnown = { reputation: reputation('clean') };
const adware: WellKnown = { reputation: reputation('adware') };
const REGEDIT: WellKnown = {
  reputation: reputation('clean', {
    category: 'Golden Image/Operating Systems & Utilities/OS Components',
    vendor: 'Microsoft Corporation',
    product: 'Microsoft Windows Operating System',
    certificate: certificateOf('Microsoft Corporation', 0),
  }),
};

/**
 * Fixed entries that every demo and test relies on; they win over the
 * synthetic corpus whatever the seed. URL keys are in normalised form.
 */
export const WELL_KNOWN: ReadonlyMap<string, WellKnown> = new Map<string, WellKnown>([
  // The EICAR anti-malware test file (68 bytes).
  ['sha256:275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f', EICAR],
  ['sha1:3395856ce81f2b7382dee72602f798b642f14140', EICAR],
  ['md5:44d88612fea8a8f36de82e1278abb02f', EICAR],
  // Windows regedit.exe.
  ['md5:2e2c937846a0b8789e5e91739284d17a', REGEDIT],
  ['sha1:f48138dc476e040b8a9925c7d2650b706178e863', REGEDIT],
  // Public test pages for web protection.
  ['url:http://malware.wicar.org/data/eicar.com', malicious],
  ['url:https://secure.eicar.org/eicar.com', malicious],
  ['url:https://testsafebrowsing.appspot.com/s/phishing.html', malicious],
  ['url:https://testsafebrowsing.appspot.com/s/malware.html', malicious],
  ['url:https://testsafebrowsing.appspot.com/s/unwanted.html', adware],
  ['url:http://www.example.com/', clean],
  ['url:https://www.example.com/', clean],
  ['url:http://example.com/', clean],
  ['url:https://example.com/', clean],
]);
