import { describeControlPlaneScenarios } from '../integration/support/control-plane-scenarios.ts';
import { sqliteTarget } from '../integration/support/replica-targets.ts';

describeControlPlaneScenarios('SQLite', sqliteTarget, 'long');
