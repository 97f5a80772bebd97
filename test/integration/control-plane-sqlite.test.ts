import { describeControlPlaneScenarios } from './support/control-plane-scenarios.ts';
import { sqliteTarget } from './support/replica-targets.ts';

describeControlPlaneScenarios('SQLite', sqliteTarget);
