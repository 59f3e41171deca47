package policy

import (
	"fmt"
	"strings"
	"time"
)

// Policy is a validated policy file with its defaults filled in.
type Policy struct {
	// Unavailable is a query expression: hosts already out of service.
	Unavailable string
	// ControlPlaneOut counts hosts that HDFS or YARN report as
	// decommissioning, decommissioned, dead, lost or in maintenance as
	// unavailable too, when those attributes exist (default true).
	ControlPlaneOut bool
	ClusterAttr     string
	RackAttr        string
	// GroupAttr is the replica-group attribute (never ""). MaxGroups is
	// K: at most K distinct groups of a cluster in maintenance at once
	// (never more than the invariant's MaxReplicaGroups).
	GroupAttr string
	MaxGroups int
	// MaxRequest is the hard per-request maximum, checked before any
	// other rule.
	MaxRequest int
	// Health is the expression a host must be in before its lease is
	// released ("" means release needs --force).
	Health string
	// Decommissioned is the expression that makes a leased host a ghost.
	Decommissioned string
	// ControlPlanes must have let a host go before it may be rekicked or
	// burnt in: always every one of RequiredControlPlanes; a plane absent
	// from the pass fails closed.
	ControlPlanes []string
	Executor      []string
	Lease         time.Duration
	ForceLease    time.Duration
	Archetypes    []Archetype
	Clusters      map[string]Override
	PerRack       int // 0: no rack limit
	PerGroup      int // 0: no per-replica-group budget
	// Per are the [[limits.per]] budgets over other attributes, in file
	// order.
	Per     []PerLimit
	Verbs   map[string]VerbRules
	Rollout Rollout
	// Windows is the [windows] section (windows.go); nil without one.
	Windows *Windows
	// MaxEvidenceAge is how old the pass, and every source a decision's
	// invariants, unavailable expression or health set read, may be
	// against the clock; EvidenceAge overrides it per source kind.
	MaxEvidenceAge time.Duration
	EvidenceAge    map[string]time.Duration
	// Drift is the [drift] section (drift.go): declared attributes, what
	// observes them, and the rules that class a drift safe or risky.
	Drift Drift

	// Text is the file, or the bundle of a directory's files
	// (bundle.go); Hash is its sha256; Path the file or directory.
	Text []byte
	Hash string
	Path string
	src  *merged // where each key is written; built on first use
}

// PerLimit is one [[limits.per]]: at most Budget's cap of hosts out per
// value of Attr, counted over the whole fleet (Scope "fleet", the
// default: a datacenter or a power domain holds hosts of many clusters)
// or per cluster and value (Scope "cluster"). A pct budget is of the
// hosts that have the value (in the cluster, for scope "cluster"),
// rounded and clamped as a cluster budget is. Hosts without the
// attribute are in no value's budget.
type PerLimit struct {
	Attr   string
	Scope  string
	Budget Budget
}

// Cluster reports whether the limit counts per cluster and value.
func (l PerLimit) Cluster() bool { return l.Scope == ScopeCluster }

// MaxPer is the most [[limits.per]] a policy may have.
const MaxPer = 64

// The scopes of a [[limits.per]].
const (
	ScopeFleet   = "fleet"
	ScopeCluster = "cluster"
)

// Archetype is a class of clusters and its budgets per verb.
type Archetype struct {
	Name string
	// Clusters is a condition over clusters ("" matches every cluster).
	Clusters string
	Budgets  map[string]Budget // by verb; "any" is the fallback
	// Constraints are the cluster constraints (constraints.go).
	Constraints Constraints
	// Gates are the archetype's cluster gates ([[archetype.gate]]).
	Gates []Gate
}

// Override is a per-cluster exception: a forced archetype, budgets.
type Override struct {
	Archetype string
	Budgets   map[string]Budget
	// constraints are the constraint keys the exception sets itself.
	constraints rawConstraints
	// Gates are added to the archetype's; one of the same name replaces
	// the archetype's gate.
	Gates []Gate
}

// VerbRules are a verb's settings apart from budgets.
type VerbRules struct {
	Lease time.Duration
	// MaxDuration bounds a requested --duration (default: Lease).
	MaxDuration time.Duration
	Rate        Rate // zero: no rate limit
	Cooldown    time.Duration
	// Budgeted is false for verbs that return capacity (undrain): the
	// cluster, rack and group budgets do not apply to them.
	Budgeted bool
	Executor []string
	// Disruptive verbs take the host down: [windows] gates them by
	// default and denies them a host without a window (windows.go).
	Disruptive bool
}

// Rollout configures check wave.
type Rollout struct {
	Metrics       []string
	Health        string
	MinHosts      int
	MaxRegression float64 // percent
	// MinHealthy is the absolute floor: a wave (and each canary stratum
	// of it) with fewer healthy hosts, in percent, halts whatever the
	// rest looks like.
	MinHealthy float64
}

// Short is the first 12 hex digits of the hash, as reports print it.
func (p *Policy) Short() string {
	if len(p.Hash) < 12 {
		return p.Hash
	}
	return p.Hash[:12]
}

// Rules returns the settings of a verb.
func (p *Policy) Rules(verb string) VerbRules { return p.Verbs[verb] }

func (r *rawPolicy) build() (*Policy, error) {
	p := &Policy{
		Unavailable:     deref(r.Unavailable, ""),
		ControlPlaneOut: deref(r.ControlPlaneOut, true),
		ClusterAttr:     orDefault(r.ClusterAttr, "cluster"),
		RackAttr:        orDefault(r.RackAttr, "rack"),
		GroupAttr:       deref(r.GroupAttr, "replica_group"),
		MaxGroups:       deref(r.MaxGroups, 1),
		MaxRequest:      deref(r.MaxRequest, 500),
		Health:          r.Health,
		Decommissioned:  deref(r.Decommissioned, `lifecycle = "decommissioned"`),
		ControlPlanes:   deref(r.ControlPlanes, []string{"hdfs", "yarn"}),
		Executor:        r.Executor,
		Lease:           time.Duration(deref(r.Lease, Duration(24*time.Hour))),
		ForceLease:      time.Duration(deref(r.ForceLease, Duration(4*time.Hour))),
		PerRack:         deref(r.Limits.PerRack, 0),
		PerGroup:        deref(r.Limits.PerGroup, 0),
		Clusters:        map[string]Override{},
		Verbs:           map[string]VerbRules{},
		MaxEvidenceAge:  time.Duration(deref(r.MaxEvidenceAge, Duration(DefaultEvidenceAge))),
	}
	if err := p.validateInvariants(); err != nil {
		return nil, err
	}
	if err := p.validateScalars(); err != nil {
		return nil, err
	}
	if err := p.buildEvidence(r.EvidenceAge); err != nil {
		return nil, err
	}
	if err := p.buildArchetypes(r.Archetypes); err != nil {
		return nil, err
	}
	if err := p.buildOverrides(r.Clusters); err != nil {
		return nil, err
	}
	if err := p.buildVerbs(r.Verb); err != nil {
		return nil, err
	}
	if err := p.buildPer(r.Limits.Per); err != nil {
		return nil, err
	}
	if err := p.buildDrift(r.Drift); err != nil {
		return nil, err
	}
	if err := p.buildWindows(r.Windows); err != nil {
		return nil, err
	}
	return p, p.buildRollout(r.Rollout)
}

func (p *Policy) validateScalars() error {
	switch {
	case p.MaxRequest < 1:
		return fmt.Errorf("max_request = %d: must be at least 1", p.MaxRequest)
	case p.PerRack < 0 || p.PerGroup < 0:
		return fmt.Errorf("limits: per_rack and per_group must not be negative")
	case p.Lease <= 0 || p.ForceLease <= 0:
		return fmt.Errorf("lease and force_lease must be positive durations")
	}
	return validateExecutor("executor", p.Executor)
}

// validateExecutor refuses an executor whose program is empty or blank
// (executor = [""]): it would fail only after the leases are granted.
// An empty list is no executor.
func validateExecutor(key string, argv []string) error {
	if len(argv) > 0 && strings.TrimSpace(argv[0]) == "" {
		return fmt.Errorf("%s = %q: the program (its first word) is empty", key, argv)
	}
	return nil
}

func (p *Policy) buildArchetypes(raw []rawArchetype) error {
	if len(raw) == 0 {
		return fmt.Errorf("no [[archetype]]: at least one (without clusters, the fallback) is required")
	}
	seen := map[string]bool{}
	for i, a := range raw {
		if a.Name == "" {
			return fmt.Errorf("archetype %d has no name", i+1)
		}
		if seen[a.Name] {
			return fmt.Errorf("archetype %q defined twice", a.Name)
		}
		seen[a.Name] = true
		b, err := a.build("archetype " + a.Name)
		if err != nil {
			return err
		}
		if err := a.validate("archetype "+a.Name, p.Health); err != nil {
			return err
		}
		gates, err := buildGates("archetype "+a.Name, a.Gates)
		if err != nil {
			return err
		}
		p.Archetypes = append(p.Archetypes, Archetype{Name: a.Name, Clusters: a.Clusters, Budgets: b, Constraints: a.over(noConstraints), Gates: gates})
	}
	if p.Archetypes[len(p.Archetypes)-1].Clusters != "" {
		return fmt.Errorf("the last [[archetype]] must have no clusters condition: it is the fallback every cluster falls into")
	}
	return nil
}

func (p *Policy) buildOverrides(raw map[string]rawOverride) error {
	for name, o := range raw {
		if o.Archetype != "" && p.archetype(o.Archetype) == nil {
			return fmt.Errorf("cluster %q: no archetype %q", name, o.Archetype)
		}
		b, err := o.build("cluster " + name)
		if err != nil {
			return err
		}
		if err := o.validate("cluster "+name, p.Health); err != nil {
			return err
		}
		gates, err := buildGates("cluster "+name, o.Gates)
		if err != nil {
			return err
		}
		p.Clusters[name] = Override{Archetype: o.Archetype, Budgets: b, constraints: o.rawConstraints, Gates: gates}
	}
	return p.validateGateCount()
}

func (p *Policy) buildVerbs(raw map[string]rawVerbRules) error {
	for name := range raw {
		if !IsVerb(name) {
			return fmt.Errorf("[verb.%s]: %w (expected one of %v)", name, ErrUnknownVerb, Verbs)
		}
	}
	for _, v := range Verbs {
		r := raw[v]
		rules := VerbRules{
			Lease:      time.Duration(deref(r.Lease, Duration(p.Lease))),
			Cooldown:   time.Duration(deref(r.Cooldown, 0)),
			Budgeted:   deref(r.Budget, v != "undrain"),
			Executor:   r.Executor,
			Disruptive: deref(r.Disruptive, disruptiveVerbs[v]),
		}
		if err := validateExecutor(fmt.Sprintf("[verb.%s] executor", v), rules.Executor); err != nil {
			return err
		}
		if rules.Lease <= 0 {
			return fmt.Errorf("[verb.%s] lease: must be a positive duration", v)
		}
		rules.MaxDuration = time.Duration(deref(r.MaxDuration, Duration(rules.Lease)))
		if rules.MaxDuration <= 0 {
			return fmt.Errorf("[verb.%s] max_duration: must be a positive duration", v)
		}
		if rules.Executor == nil {
			rules.Executor = p.Executor
		}
		if err := rules.buildRate(v, r); err != nil {
			return err
		}
		p.Verbs[v] = rules
	}
	return nil
}

func (rules *VerbRules) buildRate(verb string, r rawVerbRules) error {
	if r.Rate == "" {
		if r.RateFloor != nil {
			return fmt.Errorf("[verb.%s] rate_floor: only with a percentage rate (rate = \"30%%/10m\")", verb)
		}
		return nil
	}
	rate, err := ParseRate(r.Rate)
	if err != nil {
		return fmt.Errorf("[verb.%s] rate: %v", verb, err)
	}
	if r.RateFloor != nil {
		if !rate.IsPct || *r.RateFloor < 0 {
			return fmt.Errorf("[verb.%s] rate_floor = %d: expected a count of at least 0, with a percentage rate (rate = \"30%%/10m\")", verb, *r.RateFloor)
		}
		rate.Floor = *r.RateFloor
	}
	rules.Rate = rate
	return nil
}

// buildPer validates the [[limits.per]] budgets: an attribute, a scope
// (fleet, the default, or cluster) and a budget (max, or pct with floor
// and ceiling); one attribute and scope once.
func (p *Policy) buildPer(raw []rawPer) error {
	if len(raw) > MaxPer {
		return fmt.Errorf("[[limits.per]]: %d budgets, at most %d", len(raw), MaxPer)
	}
	seen := map[string]bool{}
	for i, r := range raw {
		where := fmt.Sprintf("[[limits.per]] %d", i+1)
		if strings.TrimSpace(r.Attr) == "" {
			return fmt.Errorf("%s: attr is required (the attribute whose values are budgeted, e.g. attr = \"dc\")", where)
		}
		where += fmt.Sprintf(" (attr %q)", r.Attr)
		scope := orDefault(r.Scope, ScopeFleet)
		if scope != ScopeFleet && scope != ScopeCluster {
			return fmt.Errorf("%s: scope = %q: expected \"fleet\" or \"cluster\"", where, r.Scope)
		}
		if seen[scope+"\x00"+r.Attr] {
			return fmt.Errorf("%s: a second budget over %s with scope %s (give one)", where, r.Attr, scope)
		}
		seen[scope+"\x00"+r.Attr] = true
		if err := r.validate(); err != nil {
			return fmt.Errorf("%s: %v", where, err)
		}
		p.Per = append(p.Per, PerLimit{Attr: r.Attr, Scope: scope, Budget: r.Budget})
	}
	return nil
}

func (p *Policy) buildRollout(r rawRollout) error {
	p.Rollout = Rollout{
		Metrics:       r.Metrics,
		Health:        orDefault(r.Health, p.Health),
		MinHosts:      deref(r.MinHosts, 3),
		MaxRegression: deref(r.MaxRegression, 10),
		MinHealthy:    deref(r.MinHealthy, 90),
	}
	if p.Rollout.MinHosts < 1 || p.Rollout.MaxRegression < 0 {
		return fmt.Errorf("[rollout]: min_hosts must be at least 1 and max_regression_pct not negative")
	}
	if p.Rollout.MinHealthy < 0 || p.Rollout.MinHealthy > 100 {
		return fmt.Errorf("[rollout]: min_healthy_pct must be between 0 and 100")
	}
	return nil
}

func (p *Policy) archetype(name string) *Archetype {
	for i := range p.Archetypes {
		if p.Archetypes[i].Name == name {
			return &p.Archetypes[i]
		}
	}
	return nil
}

func (r rawBudgets) build(where string) (map[string]Budget, error) {
	out := map[string]Budget{}
	for verb, b := range map[string]*Budget{
		"any": r.Any, "drain": r.Drain, "undrain": r.Undrain, "reboot": r.Reboot,
		"rekick": r.Rekick, "burnin": r.Burnin, "firmware": r.Firmware,
	} {
		if b == nil {
			continue
		}
		if err := b.validate(); err != nil {
			return nil, fmt.Errorf("%s: %s: %v", where, verb, err)
		}
		out[verb] = *b
	}
	return out, nil
}

func deref[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
