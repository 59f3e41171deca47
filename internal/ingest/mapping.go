package ingest

import (
	"net"
	"strings"

	"github.com/fleetq/fleetq/internal/store"
)

// MapHosts puts a control-plane or metrics source's host names onto
// inventory keys, by these rules, first match wins (docs/sources.md):
//
//  1. the name is an inventory key;
//  2. an alternative identity the source gave (Hostname:, rDNS name,
//     instance label, InternalIP) is an inventory key;
//  3. the name or an alternative is an IP address that the inventory's
//     ip (or primary_ip) attribute maps to a host;
//  4. a short name (no dots) is the first label of exactly one inventory
//     key, or a dotted name's first label is an inventory key.
//
// A host that matches no rule keeps its own name, so `hdfs - inventory`
// shows what the CMDB does not know; MapHosts returns those names. Two
// names mapping to the same key keep the second one unmapped.
func MapHosts(inv *store.Inventory, src *store.SourceData) []string {
	if len(inv.Hosts) == 0 {
		return nil
	}
	m := mapper{inv: inv, taken: make(map[string]bool, len(src.Hosts))}
	// Names that are inventory keys keep them whatever their order, so a
	// derived match never takes a key another name of the source holds.
	for _, h := range src.Hosts {
		if inv.Hosts[h] {
			m.taken[h] = true
		}
	}
	var unmapped []string
	for i, h := range src.Hosts {
		if inv.Hosts[h] {
			continue
		}
		var alt []string
		if i < len(src.Alt) {
			alt = src.Alt[i]
		}
		key, ok := m.find(h, alt)
		if !ok || m.taken[key] {
			unmapped = append(unmapped, h)
			m.taken[h] = true
			continue
		}
		src.Hosts[i] = key
		m.taken[key] = true
	}
	return unmapped
}

type mapper struct {
	inv   *store.Inventory
	short map[string]string // first label → key, "" when ambiguous
	taken map[string]bool
}

func (m *mapper) find(h string, alt []string) (string, bool) {
	cands := append([]string{h}, alt...)
	for _, c := range cands {
		if m.inv.Hosts[c] {
			return c, true
		}
	}
	for _, c := range cands {
		if net.ParseIP(c) != nil {
			if k, ok := m.inv.IP(c); ok {
				return k, true
			}
		}
	}
	for _, c := range cands {
		if k, ok := m.byShortName(c); ok {
			return k, true
		}
	}
	return "", false
}

func (m *mapper) byShortName(c string) (string, bool) {
	if net.ParseIP(c) != nil {
		return "", false
	}
	if i := strings.IndexByte(c, '.'); i > 0 {
		first := c[:i]
		return first, m.inv.Hosts[first]
	}
	if m.short == nil {
		m.short = map[string]string{}
		for k := range m.inv.Hosts {
			if i := strings.IndexByte(k, '.'); i > 0 {
				if _, dup := m.short[k[:i]]; dup {
					m.short[k[:i]] = ""
				} else {
					m.short[k[:i]] = k
				}
			}
		}
	}
	k := m.short[c]
	return k, k != ""
}
