package main

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type headroomJSON struct {
	Pass     int64 `json:"pass"`
	Clusters []struct {
		Verb, Cluster, Archetype         string
		Budgeted                         bool
		Size, Unavailable, Leased, Stuck int
		Cap, Headroom                    int
		Causes                           []struct {
			Name  string
			Hosts int
		}
	} `json:"clusters"`
}

func (f *actionFixture) headroom(args ...string) headroomJSON {
	f.t.Helper()
	var h headroomJSON
	require.NoError(f.t, json.Unmarshal([]byte(f.ok(append([]string{"headroom", "--format", "json"}, args...)...)), &h))
	return h
}

// TestHeadroomIsTheDecisionsArithmetic: fleetq headroom says for every
// cluster what a decision's cluster line says before it judges a host,
// before and after leases are granted, for each verb.
func TestHeadroomIsTheDecisionsArithmetic(t *testing.T) {
	f := newActionFixture(t)
	h := f.headroom()
	require.Len(t, h.Clusters, 6*3, "every verb × every cluster")
	assert.Equal(t, "drain", h.Clusters[0].Verb)
	assert.Equal(t, "ams1-zk-01", h.Clusters[0].Cluster, "clusters in name order")

	f.ok("drain", dense+` & lifecycle = "active" | sample 5`, "--reason", "disk swap", "--commit", "--yes", "--seed", "7")
	for _, verb := range []string{"drain", "reboot"} {
		h = f.headroom("--verb", verb, "--cluster", "smf1-dense-02")
		require.Len(t, h.Clusters, 1)
		c := h.Clusters[0]
		d := f.decide(verb, dense, "--reason", "compare", "--seed", "1")
		require.Len(t, d.Clusters, 1)
		assert.Equal(t, d.Clusters[0].Headroom, c.Headroom, verb)
		assert.Equal(t, d.Clusters[0].Unavailable, c.Unavailable, verb)
		assert.Equal(t, d.Clusters[0].Leased, c.Leased, verb)
		assert.Equal(t, 412, c.Size)
		assert.Equal(t, 22, c.Unavailable, "dead 9 + repair 8 + leased 5")
	}
	assert.Equal(t, 24-22, f.headroom("--verb", "drain", "--cluster", "smf1-dense-02").Clusters[0].Headroom)

	text := f.ok("headroom", "--verb", "drain", "--cluster", "smf1-dense-02")
	assert.Contains(t, text, "22 = dead 9 + repair 8 + leased 5")

	assert.Contains(t, f.fail(1, "headroom", "--cluster", "nosuch"), "no cluster nosuch")
	assert.Contains(t, f.fail(2, "headroom", "--verb", "dran"), `--verb "dran"`)
}

// TestHeadroomOfEveryVerbIsEachVerbAlone: headroom over every verb at once
// counts each cluster's hosts out and matches its archetype once for all
// verbs; its JSON is, verb by verb, exactly that of headroom --verb alone,
// with leases (and their cause) in the counts.
func TestHeadroomOfEveryVerbIsEachVerbAlone(t *testing.T) {
	f := newActionFixture(t)
	f.ok("drain", dense+` & lifecycle = "active" | sample 5`, "--reason", "disk swap", "--commit", "--yes", "--seed", "7")
	var all struct {
		Clusters []json.RawMessage `json:"clusters"`
	}
	require.NoError(t, json.Unmarshal([]byte(f.ok("headroom", "--format", "json")), &all))
	var each []json.RawMessage
	for _, verb := range []string{"drain", "undrain", "reboot", "rekick", "burnin", "firmware"} {
		var one struct {
			Clusters []json.RawMessage `json:"clusters"`
		}
		require.NoError(t, json.Unmarshal([]byte(f.ok("headroom", "--verb", verb, "--format", "json")), &one))
		each = append(each, one.Clusters...)
	}
	require.Len(t, all.Clusters, len(each))
	for i := range each {
		assert.JSONEq(t, string(each[i]), string(all.Clusters[i]), "line %d", i)
	}
	assert.Contains(t, f.ok("headroom", "--cluster", "smf1-dense-02"), "leased 5", "the leases are counted")
}
