package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/spf13/pflag"

	"github.com/fleetq/fleetq/internal/actions"
	"github.com/fleetq/fleetq/internal/auth"
	"github.com/fleetq/fleetq/internal/fleet"
	"github.com/fleetq/fleetq/internal/hostkey"
	"github.com/fleetq/fleetq/internal/server"
	"github.com/fleetq/fleetq/internal/store"
)

// fleetLockBridge is what a FleetLock lock means in fleetq: a reboot
// lease on the host the client's id maps to, decided by the reboot verb
// through the same executor as POST /v1/request (invariants, budgets,
// windows, freezes, incidents), recorded under fleetlock:<id>; an unlock
// is fleetq release of that lease, through the health gate.
type fleetLockBridge struct {
	db       string
	idAttr   string // "" maps an id to the host of that name
	lockWait time.Duration
}

// fleetLockReason is the reason of a FleetLock decision and its lease:
// it names the group, which the introspection reads back.
func fleetLockReason(group string) string { return "fleetlock group " + group }

// PreReboot takes the reboot slot: 200 at once when the client already
// holds a lease (the protocol's recursive lock), else one committed reboot
// decision on exactly its host.
func (b *fleetLockBridge) PreReboot(ctx context.Context, run server.Runner, c server.FleetLockClient) *server.FleetLockError {
	p := c.Principal()
	held, ferr := b.leasesOf(ctx, run, c)
	if ferr != nil || len(held) > 0 {
		return ferr
	}
	host, ferr := b.hostOf(ctx, c.ID)
	if ferr != nil {
		return ferr
	}
	res := run(ctx, server.Call{Op: server.Op{ID: "fleetlock-pre-reboot", Command: []string{"reboot"}, Write: true},
		Principal: p, Format: "json", Remote: c.Remote,
		Args: []string{"--reason=" + fleetLockReason(c.Group), "--commit=true", "--yes", "--", `"` + host + `"`}})
	var d struct {
		Approved []string
		Denied   []struct{ Host, Rule, Detail string }
		Refused  string
	}
	if len(res.Stdout) > 0 {
		if err := json.Unmarshal(res.Stdout, &d); err != nil {
			return server.FleetLockErr(server.FLInternal, "reading the reboot decision: "+err.Error())
		}
	}
	switch {
	case d.Refused != "":
		return server.FleetLockErr(server.FLInvariant, "reboot of "+host+" refused: "+d.Refused)
	case slices.Contains(d.Approved, host):
		return nil // the lease stands even if an executor failed after it
	case len(d.Denied) > 0:
		return server.FleetLockDenied(d.Denied[0].Rule, d.Denied[0].Detail, host)
	case res.Err != nil:
		return execFailure(res.Err)
	}
	return server.FleetLockErr(server.FLInternal, "the reboot decision for "+host+" approved and denied nothing")
}

// SteadyState gives the slot back: every lease fleetlock:<id> holds is
// released through the health gate (fleetq release); none held is
// success (unlock-if-held). A lease kept because the host is not shown
// healthy yet is an error the client retries.
func (b *fleetLockBridge) SteadyState(ctx context.Context, run server.Runner, c server.FleetLockClient) *server.FleetLockError {
	held, ferr := b.leasesOf(ctx, run, c)
	if ferr != nil || len(held) == 0 {
		return ferr
	}
	args := []string{"--"}
	for _, l := range held {
		args = append(args, l.Host)
	}
	res := run(ctx, server.Call{Op: server.Op{ID: "fleetlock-steady-state", Command: []string{"release"}, Write: true},
		Principal: c.Principal(), Format: "json", Remote: c.Remote, Args: args})
	var rs []actions.ReleaseResult
	if err := json.Unmarshal(res.Stdout, &rs); err != nil {
		if res.Err != nil {
			return execFailure(res.Err)
		}
		return server.FleetLockErr(server.FLInternal, "reading the release: "+err.Error())
	}
	for _, r := range rs {
		if !r.Released && !r.Forced {
			return server.FleetLockErr(server.FLUnlockUnhealthy, fmt.Sprintf("lease on %s kept (%s): %s", r.Host, r.Rule, r.Detail))
		}
	}
	if res.Err != nil {
		return execFailure(res.Err)
	}
	return nil
}

// leasesOf are the leases the client holds (active, stuck or ghost), as
// fleetq leases lists them.
func (b *fleetLockBridge) leasesOf(ctx context.Context, run server.Runner, c server.FleetLockClient) ([]actions.LeaseView, *server.FleetLockError) {
	all, ferr := b.leases(ctx, run, c.Principal())
	if ferr != nil {
		return nil, ferr
	}
	var out []actions.LeaseView
	for _, l := range all {
		if l.Requester == c.Principal().Name {
			out = append(out, l)
		}
	}
	return out, nil
}

func (b *fleetLockBridge) leases(ctx context.Context, run server.Runner, p auth.Principal) ([]actions.LeaseView, *server.FleetLockError) {
	res := run(ctx, server.Call{Op: server.Op{ID: "fleetlock-leases", Command: []string{"leases"}},
		Principal: p, Format: "json", Args: []string{"--"}})
	if res.Err != nil {
		return nil, execFailure(res.Err)
	}
	var ls []actions.LeaseView
	if err := json.Unmarshal(res.Stdout, &ls); err != nil {
		return nil, server.FleetLockErr(server.FLInternal, "reading the leases: "+err.Error())
	}
	return ls, nil
}

// hostOf is the host of the newest pass the id maps to: the host of that
// name, or with --fleetlock-id-attr the one host whose attribute's value
// is the id. None or several is an error naming them, never a guess.
func (b *fleetLockBridge) hostOf(ctx context.Context, id string) (string, *server.FleetLockError) {
	a := &app{db: b.db, timeout: b.lockWait, ctx: ctx}
	var m idMatch
	err := a.view(func(tx *store.Tx) error {
		var err error
		m, err = b.match(tx, id)
		return err
	})
	if err != nil {
		if errors.Is(err, store.ErrLocked) {
			return "", server.FleetLockErr(server.FLLocked, err.Error())
		}
		return "", server.FleetLockErr(server.FLInternal, firstLine(err.Error()))
	}
	by := "host name"
	if b.idAttr != "" {
		by = "attribute " + b.idAttr
	}
	switch {
	case m.noAttr:
		return "", server.FleetLockErr(server.FLUnknownID, fmt.Sprintf("pass %d has no attribute %s to map the id %q by (fleetq serve --fleetlock-id-attr): ingest it", m.pass, b.idAttr, id))
	case len(m.hosts) == 0:
		return "", server.FleetLockErr(server.FLUnknownID, fmt.Sprintf("no host of pass %d has the id %q (mapped by %s; fleetq serve --fleetlock-id-attr)", m.pass, id, by))
	case len(m.hosts) == 1:
		return m.hosts[0], nil
	}
	return "", server.FleetLockErr(server.FLAmbiguousID, fmt.Sprintf("%d hosts of pass %d have the id %q (mapped by %s): %s", len(m.hosts), m.pass, id, by, strings.Join(firstN(m.hosts, 5), ", ")))
}

// idMatch is what the newest pass says of an id: the hosts it maps to
// (in name order), and whether the mapping attribute is missing.
type idMatch struct {
	pass   int64
	hosts  []string
	noAttr bool
}

func (b *fleetLockBridge) match(tx *store.Tx, id string) (idMatch, error) {
	p, err := tx.Pass(0)
	if err != nil {
		return idMatch{}, err
	}
	m := idMatch{pass: p.ID()}
	if b.idAttr == "" {
		name := hostkey.Normalize(id)
		if ids, missing := tx.Hosts().Lookup([]string{name}); len(missing) == 0 && p.All().Contains(ids.Minimum()) {
			m.hosts = []string{name}
		}
		return m, nil
	}
	attr, ok, err := p.Attr(b.idAttr)
	if err != nil || !ok {
		m.noAttr = !ok
		return m, err
	}
	m.hosts = tx.Hosts().Names(roaring.And(attr.Filter(func(v fleet.Value) bool { return v.String() == id }), p.All()))
	sort.Strings(m.hosts)
	return m, nil
}

func firstN(s []string, n int) []string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// execFailure is the FleetLock error of a command that failed outright.
func execFailure(e *server.Error) *server.FleetLockError {
	if e.Kind == server.KindLocked || e.Kind == server.KindInterrupted {
		return server.FleetLockErr(server.FLLocked, e.Message)
	}
	return server.FleetLockErr(server.FLInternal, e.Message)
}

// fleetLockOptions are fleetq serve's FleetLock flags.
type fleetLockOptions struct {
	base   string
	idAttr string
	allow  []string
	nets   []*net.IPNet
}

func (o *fleetLockOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.base, "fleetlock-base", "/fleetlock", "serve the FleetLock protocol (Zincati) under this `PATH` of the listener: a client's base URL is http://HOST:PORT/fleetlock/; \"\" or off: no FleetLock")
	fs.StringVar(&o.idAttr, "fleetlock-id-attr", "", "map a FleetLock client's id to the one host whose attribute `ATTR` has that value (a machine-id column); default: the host of that name")
	fs.StringSliceVar(&o.allow, "fleetlock-allow", server.DefaultFleetLockAllow, "networks (`CIDR`, or an address) FleetLock clients may call from, comma-separated; with --tls-client-ca a verified client certificate admits too; none: certificates only")
}

func (o *fleetLockOptions) Validate() error {
	if o.off() {
		return nil
	}
	o.base = strings.TrimSuffix(o.base, "/")
	if err := server.CheckFleetLockBase(o.base); err != nil {
		return &usageError{"--fleetlock-base " + err.Error()}
	}
	allow := o.allow
	if len(allow) == 1 && allow[0] == "none" {
		allow = nil
	}
	nets, err := server.ParseAllow(allow)
	if err != nil {
		return &usageError{"--fleetlock-allow " + err.Error()}
	}
	o.nets = nets
	return nil
}

func (o *fleetLockOptions) off() bool { return o.base == "" || o.base == "off" }

// mount is the FleetLock part of the server's configuration, nil when off.
func (o *fleetLockOptions) mount(a *app) func(*server.Mux) {
	if o.off() {
		return nil
	}
	return server.FleetLock(server.FleetLockConfig{Base: o.base, Allow: o.nets,
		Backend: &fleetLockBridge{db: a.dbPath(), idAttr: o.idAttr, lockWait: a.timeout}})
}
