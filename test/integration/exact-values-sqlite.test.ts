import { describeExactValues } from './support/exact-values-scenarios.ts';
import { sqliteTarget } from './support/replica-targets.ts';

describeExactValues('SQLite', sqliteTarget);
