package ingest

import (
	"github.com/fleetq/fleetq/internal/ingest/ansible"
	"github.com/fleetq/fleetq/internal/ingest/hdfs"
	"github.com/fleetq/fleetq/internal/ingest/hosts"
	"github.com/fleetq/fleetq/internal/ingest/inventory"
	"github.com/fleetq/fleetq/internal/ingest/k8s"
	"github.com/fleetq/fleetq/internal/ingest/netbox"
	"github.com/fleetq/fleetq/internal/ingest/prom"
	"github.com/fleetq/fleetq/internal/ingest/yarn"
	"github.com/fleetq/fleetq/internal/store"
)

// Kind is one source kind: how to parse it and how to recognise it.
// Looks is given the sniffed head of a file (source.Head), never more.
type Kind struct {
	Name  string
	Parse func(file string, data []byte) (*store.SourceData, error)
	Looks func(head []byte) bool
	Help  string
}

// Kinds lists the source kinds, in the order content sniffing tries them
// (most specific first; inventory CSV and host lists last). The Parse of
// ansible expands host ranges to at most DefaultExpansions names; Read
// gives it Limits.Expansions. Host lists have no Parse: their set is
// named by the Spec (hosts.Parse).
func Kinds() []Kind {
	return []Kind{
		{"hdfs", hdfs.Parse, hdfs.Looks, "hdfs dfsadmin -report text (Hadoop 2.7, 3.x, filtered reports)"},
		{"yarn", yarn.Parse, yarn.Looks, "yarn node -list -all text"},
		{"k8s", k8s.Parse, k8s.Looks, "kubectl get nodes -o json, or the API NodeList"},
		{"prom", prom.Parse, prom.Looks, "Prometheus HTTP API query JSON, or the text exposition format"},
		{"netbox", netbox.Parse, netbox.Looks, "NetBox device CSV export or API device list JSON"},
		{"ansible", parseAnsible(DefaultExpansions), ansible.Looks, "Ansible INI or YAML inventory, or ansible-inventory --list JSON"},
		{"inventory", inventory.Parse, inventory.Looks, "CSV with a host column, or JSON lines with a host field"},
		{"hosts", nil, hosts.Looks, "one host per line; the set is named after the file"},
	}
}

// parseAnsible is ansible.Parse within a bound on range expansions.
func parseAnsible(maxExpansions int) func(string, []byte) (*store.SourceData, error) {
	return func(file string, data []byte) (*store.SourceData, error) {
		return ansible.Parse(file, data, maxExpansions)
	}
}

// KindNames lists the kind names.
func KindNames() []string {
	var out []string
	for _, k := range Kinds() {
		out = append(out, k.Name)
	}
	return out
}

func kindByName(name string) (Kind, bool) {
	for _, k := range Kinds() {
		if k.Name == name {
			return k, true
		}
	}
	return Kind{}, false
}
