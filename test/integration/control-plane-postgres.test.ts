import { describeControlPlaneScenarios } from './support/control-plane-scenarios.ts';
import { postgresTarget } from './support/replica-targets.ts';

describeControlPlaneScenarios('PostgreSQL', postgresTarget);
