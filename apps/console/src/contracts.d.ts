// The console sees @ksn/contracts through this file (see "paths" in tsconfig.json): types only.
// The library compiles TypeBox schemas at load time; a value import would bundle all of that
// into the browser, so here it fails to compile instead ("cannot be used as a value").
// The relative path is the point: the alias itself leads here.
// eslint-disable-next-line @nx/enforce-module-boundaries -- type-only re-export of the contracts library
export type * from '../../../libs/contracts/src/index';
