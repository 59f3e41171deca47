package main

// The maintenance columns of the inventory: what a maintenance week
// (fleetq plan week, docs/windows.md) plans from. Each is a pure function
// of the host's cluster kind and salt, so it is deterministic from the
// seed, stable across passes and draws nothing from the generator's
// random stream (every other column keeps its value).
//
//	service       automation | monitoring | builder (the ci clusters),
//	              router (lb), storage (hadoop workers), kvm (k8s nodes),
//	              vm (web, kafka, db, cache, zookeeper: customer VMs)
//	customer      "internal" for the provider's own machines, else a tenant
//	env           internal (infrastructure) | test | prod (VMs)
//	tests         does the host have automated tests
//	maint_window  the CMDB's preferred windows ("DAYS HH:MM-HH:MM ZONE",
//	              several separated by "; "), empty for some hosts; no
//	              value holds a comma, so a naive CSV reader splits rows

const maintHeader = ",service,customer,env,tests,maint_window"

// Maintenance services, in the order of the one/few/many week.
const (
	svcAutomation = iota
	svcMonitoring
	svcBuilder
	svcRouter
	svcStorage
	svcVM
	svcKVM
)

var serviceNames = []string{"automation", "monitoring", "builder", "router", "storage", "vm", "kvm"}

// roleService is the service of every role but ci-runner (split three ways).
var roleService = []int{
	roleHadoop: svcStorage, roleWeb: svcVM, roleK8s: svcKVM, roleKafka: svcVM, roleDB: svcVM,
	roleCache: svcVM, roleZK: svcVM, roleLB: svcRouter, roleCI: svcAutomation,
}

// tenant is a customer and the windows it asked for.
type tenant struct{ name, windows string }

var tenants = []tenant{
	{"acme", "Tue 17:00-21:00 Europe/Berlin"},
	{"globex", "Mon-Fri 22:00-02:00 America/New_York"},
	{"initech", "Wed 17:00-23:00 UTC; Sat 09:00-13:00 UTC"},
	{"umbrella", "Sat-Sun 02:00-06:00 Europe/London"},
	{"hooli", "Thu 17:00-21:00 America/Los_Angeles"},
	{"stark", "Mon-Thu 17:00-21:00 UTC"},
	{"wayne", "Tue 20:00-23:00 America/Chicago; Thu 20:00-23:00 America/Chicago"},
	{"tyrell", "Fri 18:00-22:00 Asia/Tokyo"},
	{"cyberdyne", "Wed 17:00-21:00 Europe/Amsterdam; Sun 10:00-14:00 Europe/Amsterdam"},
	{"wonka", "Mon-Fri 06:00-08:00 Europe/Zurich"},
}

// internalWindows are the provider's own windows per service.
var internalWindows = []string{
	svcAutomation: "Mon-Fri 09:00-17:00 UTC",
	svcMonitoring: "Mon-Fri 09:00-17:00 UTC",
	svcBuilder:    "Mon-Fri 09:00-17:00 UTC; Sat 09:00-13:00 UTC",
	svcRouter:     "Mon 13:00-17:00 UTC; Sat 13:00-17:00 UTC",
	svcStorage:    "Mon-Thu 17:00-21:00 UTC",
	svcVM:         "Mon-Fri 17:00-21:00 UTC",
	svcKVM:        "Sat 09:00-13:00 UTC",
}

// maint is a host's maintenance columns.
type maint struct {
	service  int
	customer string
	env      string
	tests    bool
	window   string
}

// mix spreads a host's salt into bits independent of the low bits the
// other generators read (salt%3, salt%4, …).
func mix(salt uint32) uint32 {
	x := salt*0x9e3779b1 + 0x7f4a7c15
	x ^= x >> 16
	x *= 0x85ebca6b
	x ^= x >> 13
	return x
}

func (f *fleet) maintOf(h *host) maint {
	m := mix(h.salt)
	svc := roleService[kinds[f.clusters[h.cluster].kind].role]
	if svc == svcAutomation {
		svc += int(m % 3) // automation, monitoring or builder
	}
	mt := maint{service: svc, customer: "internal", env: "internal", tests: m>>4%10 < 8, window: internalWindows[svc]}
	if svc == svcVM {
		mt = vmMaint(m)
	}
	if m>>12%20 == 0 { // one host in twenty has no window in the CMDB
		mt.window = ""
	}
	return mt
}

// vmMaint: one VM in seven is the provider's own, half of those test
// machines; of the customers' VMs one in five is a test environment, and
// two in three production VMs have automated tests.
func vmMaint(m uint32) maint {
	mt := maint{service: svcVM, customer: "internal", env: "prod", window: internalWindows[svcVM]}
	if m>>4%7 != 0 {
		t := tenants[m>>8%uint32(len(tenants))]
		mt.customer, mt.window = t.name, t.windows
		if m>>16%5 == 0 {
			mt.env = "test"
		}
	} else if m>>16%2 == 0 {
		mt.env = "test"
	}
	mt.tests = mt.env == "prod" && m>>20%3 != 0
	return mt
}

// appendMaint appends the maintenance columns, each after a comma.
func (f *fleet) appendMaint(b []byte, h *host) []byte {
	mt := f.maintOf(h)
	b = append(b, ',')
	b = append(b, serviceNames[mt.service]...)
	b = append(b, ',')
	b = append(b, mt.customer...)
	b = append(b, ',')
	b = append(b, mt.env...)
	if mt.tests {
		b = append(b, ",true,"...)
	} else {
		b = append(b, ",false,"...)
	}
	return append(b, mt.window...)
}
