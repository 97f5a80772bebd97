import { describeControlPlaneScenarios } from '../integration/support/control-plane-scenarios.ts';
import { postgresTarget } from '../integration/support/replica-targets.ts';

describeControlPlaneScenarios('PostgreSQL', postgresTarget, 'long');
