package policy

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const fallback = "\n[[archetype]]\nname = \"d\"\nany = { pct = 5 }\n"

// TestPolicyCannotLoosenInvariants: every key that names what an
// invariant reads may tighten it and never switch it off (docs/actions.md,
// "What no input can make fleetq do"); the error names the key and the invariant.
func TestPolicyCannotLoosenInvariants(t *testing.T) {
	for text, want := range map[string]string{
		`rekick_control_planes = []`:               "rekick_control_planes = [] leaves out hdfs: that would loosen invariant:unserved",
		`rekick_control_planes = ["hdfs"]`:         `rekick_control_planes = ["hdfs"] leaves out yarn: that would loosen invariant:unserved`,
		`rekick_control_planes = ["yarn"]`:         `rekick_control_planes = ["yarn"] leaves out hdfs`,
		`rekick_control_planes = ["hdfs", "ceph"]`: `rekick_control_planes: "ceph": expected hdfs or yarn`,
		`replica_group_attr = ""`:                  `replica_group_attr = "": that would switch off invariant:replica-groups`,
		`max_replica_groups = 2`:                   "max_replica_groups = 2: that would loosen invariant:replica-groups",
		`max_replica_groups = 0`:                   "max_replica_groups = 0: must be at least 1",
		`max_evidence_age = "0s"`:                  "max_evidence_age = 0s: expected a duration above 0 and at most 168h0m0s",
		`max_evidence_age = "30d"`:                 "max_evidence_age = 720h0m0s: expected a duration above 0 and at most 168h0m0s",
		"[evidence_age]\nhfds = \"1h\"":            "[evidence_age] hfds: not a source kind",
		"[evidence_age]\ninventory = \"10000h\"":   "[evidence_age] inventory = 10000h0m0s: expected a duration above 0",
	} {
		_, err := Parse([]byte(text + fallback))
		if assert.Error(t, err, text) {
			assert.Contains(t, err.Error(), want, text)
		}
	}
	for _, text := range []string{
		`rekick_control_planes = ["yarn", "hdfs"]`, // another order: the same invariant
		`replica_group_attr = "rg"`,                // another attribute: still checked
		`max_replica_groups = 1`,
	} {
		_, err := Parse([]byte(text + fallback))
		assert.NoError(t, err, text)
	}
}

func TestEvidenceAges(t *testing.T) {
	p, err := Parse([]byte(fallback))
	require.NoError(t, err)
	assert.Equal(t, 2*time.Hour, p.MaxEvidenceAge)
	assert.Equal(t, 2*time.Hour, p.EvidenceAgeOf("hdfs"))
	assert.Equal(t, 26*time.Hour, p.EvidenceAgeOf("inventory"), "a daily CMDB dump stays evidence")

	p, err = Parse([]byte("max_evidence_age = \"30m\"\n[evidence_age]\nhdfs = \"10m\"\ninventory = \"3d\"\n" + fallback))
	require.NoError(t, err)
	assert.Equal(t, 30*time.Minute, p.EvidenceAgeOf("prom"))
	assert.Equal(t, 10*time.Minute, p.EvidenceAgeOf("hdfs"))
	assert.Equal(t, 72*time.Hour, p.EvidenceAgeOf("inventory"))
	assert.Equal(t, 26*time.Hour, p.EvidenceAgeOf("netbox"))
}
