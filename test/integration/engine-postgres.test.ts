import { describeEngineScenarios } from './support/engine-scenarios.ts';
import { postgresTarget } from './support/replica-targets.ts';

describeEngineScenarios('PostgreSQL', postgresTarget);
