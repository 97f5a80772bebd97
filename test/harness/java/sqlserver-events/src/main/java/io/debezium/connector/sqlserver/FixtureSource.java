package io.debezium.connector.sqlserver;

import java.time.Instant;

import org.apache.kafka.connect.data.Struct;

import io.debezium.connector.SnapshotRecord;
import io.debezium.relational.TableId;

/**
 * The connector's own SQL Server `source` block (SourceInfo is package-private to construct, like in
 * Debezium's SourceInfoTest): LSNs, commit time, snapshot marker and table as a streamed or snapshot
 * event of the connector carries them.
 */
public final class FixtureSource {
    private FixtureSource() {
    }

    public static Struct struct(SqlServerConnectorConfig config, TableId table, String commitLsn, String changeLsn, long serialNo,
                                Instant commitTime, SnapshotRecord snapshot) {
        SourceInfo source = new SourceInfo(config);
        source.setCommitLsn(Lsn.valueOf(commitLsn));
        source.setChangeLsn(changeLsn == null ? null : Lsn.valueOf(changeLsn));
        source.setEventSerialNo(changeLsn == null ? null : serialNo);
        source.setSourceTime(commitTime);
        source.setTableId(table);
        source.setSnapshot(snapshot);
        return source.struct();
    }
}
