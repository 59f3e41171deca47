// Package hdfs reads `hdfs dfsadmin -report` (kind "hdfs"; Hadoop 2.7 and
// 3.x, and the filtered -live, -dead, -decommissioning,
// -enteringmaintenance and -inmaintenance forms) into the host set hdfs
// and its hdfs.* attributes. See internal/ingest/testdata/fixtures/SOURCES.md §1.
package hdfs
