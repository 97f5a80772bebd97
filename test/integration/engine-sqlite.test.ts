import { describeEngineScenarios } from './support/engine-scenarios.ts';
import { sqliteTarget } from './support/replica-targets.ts';

describeEngineScenarios('SQLite', sqliteTarget);
