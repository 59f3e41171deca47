package main

// The fleet model: the static tables (datacenters, roles, SKUs, cluster
// kinds, kernels) and the per-host record the generator evolves pass by pass.

// Lifecycle states of the inventory, in the order the CSV spells them.
const (
	lifeActive uint8 = iota
	lifeDead
	lifeRepair
	lifeProvisioning
	lifeDecommissioned
	numLife
)

var lifeNames = [numLife]string{"active", "dead", "repair", "provisioning", "decommissioned"}

type datacenter struct {
	name   string
	weight float64 // share of the fleet's hosts
}

var datacenters = []datacenter{
	{"smf1", 0.30}, {"atla", 0.25}, {"pdx2", 0.20}, {"ams1", 0.15}, {"sin1", 0.10},
}

// Roles; the prefix starts every host name of the role.
const (
	roleHadoop = iota
	roleWeb
	roleK8s
	roleKafka
	roleDB
	roleCache
	roleZK
	roleLB
	roleCI
)

type role struct{ name, prefix string }

var roles = []role{
	roleHadoop: {"hadoop-worker", "dn"},
	roleWeb:    {"web", "web"},
	roleK8s:    {"k8s-node", "k8"},
	roleKafka:  {"kafka-broker", "kf"},
	roleDB:     {"db", "db"},
	roleCache:  {"cache", "mc"},
	roleZK:     {"zookeeper", "zk"},
	roleLB:     {"lb", "lb"},
	roleCI:     {"ci-runner", "ci"},
}

// sku is a hardware model; disks and diskBytes size a datanode's capacity.
type sku struct {
	name      string
	disks     int64
	diskBytes int64
}

var skus = []sku{
	{"dell-r740xd-12x8t", 12, 8001563222016},
	{"dell-r750xd-12x16t", 12, 16000900661248},
	{"smc-6049p-36x16t", 36, 16000900661248},
	{"dell-r640-2x1t-ssd", 2, 960197124096},
	{"dell-r650-4x4t-nvme", 4, 3840755982336},
	{"hpe-dl380-8x2t-ssd", 8, 1920383410176},
}

// kind is a family of clusters named <dc>-<kind>-NN. Sizes are drawn in
// [lo, hi] at scale; perRack is how many hosts a rack holds (2U dense
// storage fills a rack with half as many hosts, at every other position).
type kind struct {
	name           string
	role           int
	share          float64
	lo, hi, minNum int
	skuOld, skuNew int
	perRack        int
}

var kinds = []kind{
	{"hadoop", roleHadoop, 0.41, 200, 3000, 3, 0, 1, 40},
	{"dense", roleHadoop, 0.14, 150, 1500, 2, 2, 2, 20},
	{"web", roleWeb, 0.14, 100, 1200, 2, 3, 4, 40},
	{"k8s", roleK8s, 0.12, 100, 1000, 2, 3, 4, 40},
	{"kafka", roleKafka, 0.05, 20, 200, 2, 5, 5, 40},
	{"critical", roleDB, 0.03, 16, 120, 1, 5, 4, 40},
	{"mysql", roleDB, 0.03, 8, 60, 1, 5, 4, 40},
	{"cache", roleCache, 0.04, 30, 300, 1, 4, 4, 40},
	{"zk", roleZK, 0.01, 8, 24, 1, 3, 3, 40},
	{"lb", roleLB, 0.01, 8, 32, 1, 3, 4, 40},
	{"ci", roleCI, 0.02, 12, 49, 1, 4, 4, 40},
}

const kindDense = 1

// kernels roll forward: most of the fleet is on 0 or 1 at pass 1, with a
// rollout of 1 in progress and a canary cluster on 2.
var kernels = []string{"5.15.0-91-generic", "5.15.0-105-generic", "6.8.0-45-generic"}

// The policy scenario cluster: exactly 412 hosts when --hosts >= 5000.
const (
	fixedCluster     = "smf1-dense-02"
	fixedClusterSize = 412
	fixedMinHosts    = 5000
	minClusterSize   = 8
)

type cluster struct {
	name    string
	dc      int
	kind    int
	size    int
	fixed   bool
	fill    float64 // HDFS fill ratio of its datanodes
	members []int32 // host ids, including hosts removed since
}

type rack struct {
	name    string
	cluster int32
	global  uint32 // global rack number; the rack owns 10.x.y.z/26 number global
}

// host is one machine. Fields are small so a million fit comfortably.
type host struct {
	name       string
	cluster    int32
	rack       int32
	serial     uint32 // serial number index, unique over all hosts ever made
	salt       uint32 // per-host random bits for stable, per-host choices
	pos        uint8  // rack position (U)
	sku        uint8
	rg         uint8 // replica group 1..3
	life       uint8
	kernel     uint8
	exclude    bool // hadoop_exclude
	puppetOK   bool
	responsive bool
	gone       bool // removed from the inventory
}

// ip is the host's address: its rack's /26 plus the rack position.
func (f *fleet) ip(h *host) uint32 {
	return 10<<24 | f.racks[h.rack].global<<6 | uint32(h.pos)
}

// rebootable marks the dead hosts that a reboot might fix.
func (h *host) rebootable() bool { return h.salt%3 == 0 }
