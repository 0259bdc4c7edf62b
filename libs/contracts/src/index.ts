export * from './common';
export * from './keys';
export * from './endpoint';
export * from './upstream';
export * from './policy';
export * from './snapshot';
export * from './management';
export * from './validate';
