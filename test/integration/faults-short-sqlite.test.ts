/** The short fault subset (test/faults/short-suite.ts) on a SQLite replica, on a private stack. */
import { shortFaultSuite } from '../faults/short-suite.ts';

shortFaultSuite('sqlite');
