import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import mssql from 'mssql';
import { classifySqlServerError } from '../../main/engine/replica/sqlserver/errors.ts';
import { StageValueError } from '../../main/engine/replica/sqlserver/values.ts';
import { tagTable } from '../../main/engine/replica/error-tagging.ts';
import { MirrorError } from '../../main/engine/errors.ts';

/** A RequestError as mssql builds it from a tedious errorMessage token (see mssql/lib/tedious/request.js). */
function requestError(number: number, message: string, cls = 16): mssql.RequestError {
  const e = Object.assign(new Error(message), { info: { number, message, class: cls, state: 1, lineNumber: 1, serverName: 'db1', procName: '' } });
  return new mssql.RequestError(e, 'EREQUEST');
}
/** A ConnectionError wrapping a tedious/socket error with a code. */
function connectionError(code: string, message: string): mssql.ConnectionError {
  return new mssql.ConnectionError(Object.assign(new Error(message), { code }));
}

describe('SQL Server error classification', () => {
  const table: Array<[string, unknown, string, string, RegExp?]> = [
    ['1205 deadlock', requestError(1205, 'Transaction (Process ID 52) was deadlocked on lock resources with another process and has been chosen as the deadlock victim. Rerun the transaction.', 13), 'retry', 'REPLICA_WRITE_FAILED', /Deadlock/],
    ['1222 lock timeout', requestError(1222, 'Lock request time out period exceeded.'), 'retry', 'REPLICA_WRITE_FAILED'],
    ['-2 timeout', requestError(-2, 'Execution Timeout Expired.'), 'retry', 'REPLICA_UNREACHABLE'],
    ['request ETIMEOUT', new mssql.RequestError('Timeout: Request failed to complete in 15000ms', 'ETIMEOUT'), 'retry', 'REPLICA_UNREACHABLE', /did not answer in time/],
    ['connection ETIMEOUT', new mssql.ConnectionError('Failed to connect to db1:1433 in 15000ms', 'ETIMEOUT'), 'retry', 'REPLICA_UNREACHABLE'],
    ['ESOCKET', connectionError('ESOCKET', 'Failed to connect to db1:1433 - connect ECONNREFUSED 10.0.0.1:1433'), 'retry', 'REPLICA_UNREACHABLE'],
    ['ECONNCLOSED', new mssql.ConnectionError('Connection is closed.', 'ECONNCLOSED'), 'retry', 'REPLICA_UNREACHABLE'],
    ['40613 Azure database unavailable', requestError(40613, 'Database on server is not currently available.', 17), 'retry', 'REPLICA_WRITE_FAILED'],
    ['229 permission', requestError(229, "The INSERT permission was denied on the object 'contact', database 'mirror', schema 'crm7'.", 14), 'halt-all', 'REPLICA_PERMISSION', /db_owner/],
    ['262 permission', requestError(262, "CREATE TABLE permission denied in database 'mirror'.", 14), 'halt-all', 'REPLICA_PERMISSION', /ALTER ROLE db_owner ADD MEMBER/],
    ['15247 permission', requestError(15247, 'User does not have permission to perform this action.'), 'halt-all', 'REPLICA_PERMISSION', /db_owner/],
    ['18456 login', connectionError('ELOGIN', "Login failed for user 'mirror'."), 'halt-all', 'REPLICA_PERMISSION', /user name, password/],
    ['18456 numbered', requestError(18456, "Login failed for user 'mirror'.", 14), 'halt-all', 'REPLICA_PERMISSION', /user name and password/],
    ['4060 database (transient in an Azure failover)', requestError(4060, 'Cannot open database "mirror" requested by the login. The login failed.', 11), 'retry', 'REPLICA_UNREACHABLE', /failover.*If it persists, check the database name/],
    ['4060 via ELOGIN text', connectionError('ELOGIN', 'Cannot open database "mirror" requested by the login. The login failed.'), 'retry', 'REPLICA_UNREACHABLE', /database name/],
    ['927 in the middle of a restore', requestError(927, "Database 'mirror' cannot be opened. It is in the middle of a restore.", 14), 'retry', 'REPLICA_UNREACHABLE', /restoring it.*retrying until it is open again/],
    ['922 being recovered', requestError(922, "Database 'mirror' is being recovered. Waiting until recovery is finished.", 14), 'retry', 'REPLICA_UNREACHABLE', /recovering/],
    ['942 offline', requestError(942, "Database 'mirror' cannot be opened because it is offline.", 14), 'retry', 'REPLICA_UNREACHABLE', /offline/],
    ['952 in transition', requestError(952, "Database 'mirror' is in transition. Try the statement later.", 16), 'retry', 'REPLICA_UNREACHABLE'],
    ['924 single user', requestError(924, "Database 'mirror' is already open and can only have one user at a time.", 14), 'retry', 'REPLICA_UNREACHABLE', /single-user/],
    ['3906 read-only database', requestError(3906, 'Failed to update database "mirror" because the database is read-only.', 16), 'retry', 'REPLICA_UNREACHABLE', /read-only now.*retrying until it accepts writes/],
    ['40143 Azure', requestError(40143, 'The service has encountered an error processing your request. Please try again.', 16), 'retry', 'REPLICA_WRITE_FAILED'],
    ['40540 Azure', requestError(40540, 'The service has encountered an error processing your request. Please try again.', 16), 'retry', 'REPLICA_WRITE_FAILED'],
    ['1204 lock resources', requestError(1204, 'The instance of the SQL Server Database Engine cannot obtain a LOCK resource at this time.', 19), 'retry', 'REPLICA_WRITE_FAILED', /lock resources/],
    ['701 memory', requestError(701, "There is insufficient system memory in resource pool 'default' to run this query.", 17), 'retry', 'REPLICA_WRITE_FAILED', /memory/],
    ['8645 memory grant', requestError(8645, 'A timeout occurred while waiting for memory resources to execute the query in resource pool.', 17), 'retry', 'REPLICA_WRITE_FAILED', /memory/],
    ['40544 size quota', requestError(40544, "The database 'mirror' has reached its size quota.", 20), 'halt-all', 'REPLICA_WRITE_FAILED', /size quota/],
    ['3729 schemabound view', requestError(3729, "Cannot ALTER 'crm7.contact' because it is being referenced by object 'v_contact'."), 'halt-table', 'SCHEMA_CONFLICT', /SCHEMABINDING/],
    ['3726 foreign key', requestError(3726, "Could not drop object 'crm7.contact' because it is referenced by a FOREIGN KEY constraint."), 'halt-table', 'SCHEMA_CONFLICT', /foreign key/],
    ['3725 referenced constraint', requestError(3725, "The constraint 'PK_contact' is being referenced by table 'x', foreign key constraint 'FK_x'."), 'halt-table', 'SCHEMA_CONFLICT', /Drop that object/],
    ['1946 key too long', requestError(1946, 'Operation failed. The index entry of length 1000 bytes for the index PK_t exceeds the maximum length of 900 bytes for clustered indexes.'), 'halt-table', 'REPLICA_WRITE_FAILED', /900-byte/],
    ['2627 on a text key mentions trailing spaces', requestError(2627, "Violation of PRIMARY KEY constraint 'PK_tag'. Cannot insert duplicate key in object 'crm7.tag'. The duplicate key value is (a ).", 14), 'halt-table', 'REPLICA_DUPLICATE_KEY', /trailing spaces/],
    ['9002 log full', requestError(9002, "The transaction log for database 'mirror' is full due to 'LOG_BACKUP'.", 17), 'halt-all', 'REPLICA_LOG_FULL', /Back up the log/],
    ['2627 duplicate key', requestError(2627, "Violation of PRIMARY KEY constraint 'PK_contact'. Cannot insert duplicate key in object 'crm7.contact'. The duplicate key value is (42).", 14), 'halt-table', 'REPLICA_DUPLICATE_KEY', /Duplicate key \(42\) in crm7\.contact/],
    ['50000 a trigger of the customer (RAISERROR)', requestError(50000, 'no BLOCK names'), 'halt-table', 'REPLICA_WRITE_FAILED', /^A trigger on .* refused the write \(no BLOCK names\)\. .*change or drop the trigger/],
    ['3609 a trigger that rolls back', requestError(3609, 'The transaction ended in the trigger. The batch has been aborted.'), 'halt-table', 'REPLICA_WRITE_FAILED', /trigger .*refused the write/],
    ['2601 unique index', requestError(2601, "Cannot insert duplicate key row in object 'crm7.contact' with unique index 'UX_email'. The duplicate key value is (a@b.c).", 14), 'halt-table', 'REPLICA_DUPLICATE_KEY', /\(a@b\.c\)/],
    ['8672 MERGE same row twice', requestError(8672, 'The MERGE statement attempted to UPDATE or DELETE the same row more than once.'), 'halt-table', 'REPLICA_DUPLICATE_KEY', /collation/],
    ['8152 truncation', requestError(8152, 'String or binary data would be truncated.'), 'halt-table', 'REPLICA_WRITE_FAILED', /too long/],
    ['2628 truncation', requestError(2628, "String or binary data would be truncated in table 'mirror.crm7.contact', column 'name'. Truncated value: 'abc'."), 'halt-table', 'REPLICA_WRITE_FAILED', /mirror\.crm7\.contact/],
    ['8115 overflow', requestError(8115, 'Arithmetic overflow error converting numeric to data type numeric.'), 'halt-table', 'REPLICA_WRITE_FAILED', /does not fit/],
    ['515 NULL', requestError(515, "Cannot insert the value NULL into column 'modified', table 'mirror.crm7.contact'; column does not allow nulls. INSERT fails."), 'halt-table', 'REPLICA_WRITE_FAILED', /NULL.*mirror\.crm7\.contact/],
    ['207 invalid column', requestError(207, "Invalid column name 'email'."), 'halt-table', 'SCHEMA_CONFLICT'],
    ['208 invalid object', requestError(208, "Invalid object name 'crm7.contact'."), 'halt-table', 'SCHEMA_CONFLICT', /crm7\.contact/],
    ['208 on _ReplicationState (dropped under the engine)', requestError(208, "Invalid object name 'dbo._ReplicationState'."), 'halt-all', 'REPLICA_NOT_PROVISIONED', /_ReplicationState is gone.*provision/],
    ['5074 dependent object', requestError(5074, "The index 'IX_name' is dependent on column 'name'."), 'halt-table', 'SCHEMA_CONFLICT', /Drop the index/],
    ['EABORT', new mssql.TransactionError('Transaction has been aborted.', 'EABORT'), 'retry', 'REPLICA_WRITE_FAILED'],
    ['ETLS', connectionError('ETLS', 'self-signed certificate'), 'halt-all', 'REPLICA_UNREACHABLE', /trust server certificate/],
    ['severity 20+ unknown', requestError(50000, 'A severe error occurred on the current command.', 20), 'retry', 'REPLICA_UNREACHABLE'],
    ['unknown SQL error', requestError(50001, 'Something odd.'), 'halt-table', 'REPLICA_WRITE_FAILED', /Something odd/],
    ['plain Error', new Error('boom'), 'halt-table', 'REPLICA_WRITE_FAILED', /boom/],
    ['not an Error', 'boom', 'halt-table', 'REPLICA_WRITE_FAILED'],
  ];

  for (const [name, err, action, code, hint] of table) {
    it(`${name} -> ${action} ${code}`, () => {
      const c = classifySqlServerError(err);
      assert.equal(c.action, action);
      assert.equal(c.code, code);
      if (hint) assert.match(c.hint, hint);
    });
  }

  it('finds the number in precedingErrors when the last error is generic', () => {
    const err = requestError(3621, 'The statement has been terminated.', 0);
    (err as unknown as { precedingErrors: unknown[] }).precedingErrors = [requestError(2627, "Violation of PRIMARY KEY constraint 'PK_x'. The duplicate key value is (7, a).")];
    const c = classifySqlServerError(err);
    assert.equal(c.code, 'REPLICA_DUPLICATE_KEY');
    assert.match(c.hint, /\(7, a\)/);
  });

  it('names the table a write was for (tagged by the replica) and returns it', () => {
    const err = tagTable(requestError(8115, 'Arithmetic overflow error converting numeric to data type numeric.'), 'crm7.invoice');
    const c = classifySqlServerError(err);
    assert.equal(c.table, 'crm7.invoice');
    assert.match(c.hint, /in crm7\.invoice/);
  });

  it('halts the table for a value that cannot be staged, naming table and column', () => {
    const c = classifySqlServerError(tagTable(new StageValueError('crm7.contact.modified: not a timestamp'), 'crm7.contact'));
    assert.deepEqual([c.action, c.code, c.table], ['halt-table', 'REPLICA_WRITE_FAILED', 'crm7.contact']);
    assert.match(c.hint, /crm7\.contact\.modified: not a timestamp/);
  });

  it('classifies our own MirrorErrors by their code', () => {
    const c = classifySqlServerError(new MirrorError('SCHEMA_CONFLICT', 'a row for crm7.contact has column(s) x'));
    assert.deepEqual([c.action, c.code], ['halt-table', 'SCHEMA_CONFLICT']);
  });
});
