/**
 * The real upstream for proxy specs: the cloud emulator, in process, on port 0.
 * Test-only reach into another app: the emulator is the reference implementation
 * of the upstream protocol, and its asked()/stats()/setVerdict() let a spec see
 * exactly what the proxy asked. Nothing in src/ imports it.
 */
// eslint-disable-next-line @nx/enforce-module-boundaries -- test-only: the reference upstream (see above)
export {
  startCloudEmulator,
  type EmulatorOptions,
  type RunningEmulator,
} from '../../cloud-emulator/src/server';
