export * from './env';
export * from './http';
export * from './log';
export * from './lifecycle';
