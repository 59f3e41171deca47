package query

import "testing"

// BenchmarkParse is the language front end alone: lex, parse, lower.
func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Parse(`all - hadoop_exclude & responsive & puppet_ok & (role = "hadoop-worker" and not lifecycle in (dead, repair)) | spread rack 2 | sample 5`); err != nil {
			b.Fatal(err)
		}
	}
}
