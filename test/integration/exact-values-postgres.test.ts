import { describeExactValues } from './support/exact-values-scenarios.ts';
import { postgresTarget } from './support/replica-targets.ts';

describeExactValues('PostgreSQL', postgresTarget);
