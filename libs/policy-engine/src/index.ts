export * from './defaults';
export * from './inheritance';
export * from './decision';
export * from './snapshot';
export * from './provenance';
