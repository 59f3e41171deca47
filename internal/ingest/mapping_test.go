package ingest

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/ingest/inventory"
	"github.com/fleetq/fleetq/internal/ingest/source"
	"github.com/fleetq/fleetq/internal/ingest/sourcetest"
	"github.com/fleetq/fleetq/internal/store"
)

func igInventory(hosts ...string) *store.Inventory {
	inv := &store.Inventory{Hosts: map[string]bool{}, ByIP: map[string]string{
		"10.0.0.1": "web1.dc1.example.com", "2001:db8::7": "db1.dc1.example.com",
	}}
	for _, h := range hosts {
		inv.Hosts[h] = true
	}
	return inv
}

var igFleet = igInventory("web1.dc1.example.com", "db1.dc1.example.com", "db1.dc2.example.com", "cache1", "lb1.dc1.example.com")

func TestMapHosts(t *testing.T) {
	for _, tc := range []struct {
		name     string
		hosts    []string
		alt      [][]string
		want     []string
		unmapped []string
	}{
		{"exact key", []string{"web1.dc1.example.com", "cache1"}, nil, []string{"web1.dc1.example.com", "cache1"}, nil},
		{"alternative identity", []string{"10.9.9.9:9100"}, [][]string{{"nope", "lb1.dc1.example.com"}},
			[]string{"lb1.dc1.example.com"}, nil},
		{"ip via the ip attribute", []string{"10.0.0.1", "2001:db8::7"}, nil,
			[]string{"web1.dc1.example.com", "db1.dc1.example.com"}, nil},
		{"ip given as an alternative", []string{"k8s-node-a"}, [][]string{{"10.0.0.1"}}, []string{"web1.dc1.example.com"}, nil},
		{"unique short name", []string{"web1", "lb1"}, nil, []string{"web1.dc1.example.com", "lb1.dc1.example.com"}, nil},
		{"ambiguous short name", []string{"db1"}, nil, []string{"db1"}, []string{"db1"}},
		{"fqdn first label", []string{"cache1.corp.example.net"}, nil, []string{"cache1"}, nil},
		{"fqdn whose first label is not a key", []string{"web1.other.net"}, nil, []string{"web1.other.net"}, []string{"web1.other.net"}},
		{"unknown ip", []string{"10.1.1.1"}, nil, []string{"10.1.1.1"}, []string{"10.1.1.1"}},
		{"collision keeps the second unmapped", []string{"web1", "10.0.0.1"}, nil,
			[]string{"web1.dc1.example.com", "10.0.0.1"}, []string{"10.0.0.1"}},
		{"exact match wins over an earlier derived one", []string{"cache1.corp.example.net", "cache1"}, nil,
			[]string{"cache1.corp.example.net", "cache1"}, []string{"cache1.corp.example.net"}},
		{"exact key taken by an alternative", []string{"10.0.0.1", "web1.dc1.example.com"}, nil,
			[]string{"10.0.0.1", "web1.dc1.example.com"}, []string{"10.0.0.1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := &store.SourceData{Kind: "prom", Name: "metrics", Hosts: append([]string(nil), tc.hosts...), Alt: tc.alt}
			unmapped := MapHosts(igFleet, src)
			assert.Equal(t, tc.want, src.Hosts)
			assert.Equal(t, tc.unmapped, unmapped)
			sourcetest.Invariants(t, src)
		})
	}
}

func TestMapHostsNoInventory(t *testing.T) {
	src := &store.SourceData{Hosts: []string{"a", "b"}}
	assert.Nil(t, MapHosts(igInventory(), src))
	assert.Equal(t, []string{"a", "b"}, src.Hosts)
}

// TestMapHostsInStore runs the mapping the way ingest does: through
// CreatePass, against the inventory of the pass being built, then the
// carried inventory of the next pass.
func TestMapHostsInStore(t *testing.T) {
	db, err := store.Open(t.TempDir()+"/m.db", store.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	inv, err := inventory.Parse("inv.csv", []byte("host,ip\nweb1.example.com,10.0.0.1\ndb1.example.com,10.0.0.2\n"))
	assert.NoError(t, err)
	hdfs := source.NewBuilder("hdfs", "hdfs")
	hdfs.Host("10.0.0.2:9866")
	hdfs.Host("web1", "10.0.0.1")
	hdfs.Host("stray9")
	p, err := db.CreatePass(store.NewPass{Sources: []*store.SourceData{inv, finish(t, hdfs)}, MapHosts: MapHosts})
	if !assert.NoError(t, err) {
		return
	}
	for _, s := range p.Sources {
		if s.Kind == "hdfs" {
			assert.Equal(t, 2, s.NUnmap)
			assert.Equal(t, []string{"10.0.0.2:9866", "stray9"}, s.Unmapped)
		}
	}
	prom := source.NewBuilder("prom", "metrics")
	prom.Host("10.0.0.2")
	prom.Host("web1.example.com")
	p2, err := db.CreatePass(store.NewPass{Sources: []*store.SourceData{finish(t, prom)}, MapHosts: MapHosts})
	assert.NoError(t, err)
	assert.NoError(t, db.View(func(tx *store.Tx) error {
		v, err := tx.Pass(p2.ID)
		assert.NoError(t, err)
		m, _, err := v.Set("metrics")
		require.NoError(t, err)
		assert.Equal(t, []string{"db1.example.com", "web1.example.com"}, tx.Hosts().Names(m), "mapped by the carried inventory's ip")
		return nil
	}))
	assert.NoError(t, db.Check())
}

// finish is b.Finish for a builder given only good host names.
func finish(t *testing.T, b *source.Builder) *store.SourceData {
	t.Helper()
	src, err := b.Finish("test", nil)
	require.NoError(t, err)
	return src
}
