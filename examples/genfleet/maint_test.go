package main

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMaintenanceColumns: the columns a maintenance week plans from take
// their documented values, follow the role, stay put across passes, and
// every value of maint_window is in the windows syntax.
func TestMaintenanceColumns(t *testing.T) {
	dir := generateInto(t, "--hosts", "5000", "--passes", "2")
	_, p1 := readInventory(t, filepath.Join(dir, "pass-001", "inventory.csv"))
	_, p2 := readInventory(t, filepath.Join(dir, "pass-002", "inventory.csv"))
	window := regexp.MustCompile(`^(Mon|Tue|Wed|Thu|Fri|Sat|Sun)(-(Mon|Tue|Wed|Thu|Fri|Sat|Sun))? [0-2][0-9]:[0-5][0-9]-[0-2][0-9]:[0-5][0-9] (UTC|[A-Z][a-z]+/[A-Za-z_]+)$`)
	roleOf := map[string]string{"storage": "hadoop-worker", "router": "lb", "kvm": "k8s-node",
		"automation": "ci-runner", "monitoring": "ci-runner", "builder": "ci-runner"}
	count := map[string]int{}
	before := map[string]string{}
	for _, r := range p1 {
		before[r["host"]] = r["service"] + r["customer"] + r["env"] + r["tests"] + r["maint_window"]
	}
	for _, r := range p2 {
		count[r["service"]]++
		count["env="+r["env"]]++
		if r["maint_window"] == "" {
			count["no window"]++
		}
		if b, ok := before[r["host"]]; ok {
			assert.Equal(t, b, r["service"]+r["customer"]+r["env"]+r["tests"]+r["maint_window"], "%s changed between passes", r["host"])
		}
		if role, ok := roleOf[r["service"]]; ok {
			assert.Equal(t, role, r["role"], r["host"])
			assert.Equal(t, "internal", r["customer"], r["host"])
			assert.Equal(t, "internal", r["env"], r["host"])
		} else {
			require.Equal(t, "vm", r["service"], r["host"])
			assert.Contains(t, []string{"web", "kafka-broker", "db", "cache", "zookeeper"}, r["role"], r["host"])
			assert.Contains(t, []string{"test", "prod"}, r["env"], r["host"])
		}
		assert.Contains(t, []string{"true", "false"}, r["tests"])
		if r["env"] == "test" {
			assert.Equal(t, "false", r["tests"], "%s: a test environment has no tests of its own", r["host"])
		}
		for _, w := range strings.Split(r["maint_window"], "; ") {
			if r["maint_window"] != "" {
				assert.Regexp(t, window, w, r["host"])
			}
		}
	}
	for _, k := range []string{"storage", "router", "kvm", "automation", "monitoring", "builder", "vm", "env=test", "env=prod", "no window"} {
		assert.Positive(t, count[k], k)
	}
	assert.Less(t, count["no window"], len(p2)/10)
}
