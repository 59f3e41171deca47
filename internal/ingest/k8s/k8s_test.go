package k8s

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/ingest/source"
	"github.com/fleetq/fleetq/internal/ingest/sourcetest"
)

// want pins one node: k8s.ready, k8s.unschedulable, k8s.zone (nil when absent).
type want struct {
	host    string
	ready   bool
	unsched bool
	zone    any
}

func TestParseK8sFixtures(t *testing.T) {
	n23, n51, n77, n140 := "ip-10-0-1-23.ec2.internal", "ip-10-0-2-51.ec2.internal", "ip-10-0-3-77.ec2.internal", "ip-10-0-1-140.ec2.internal"
	tests := []struct {
		file  string
		nodes []want // in input order
		attrs map[string]map[string]any
		warns int
	}{
		{
			file:  "k8s/assembled-api-v1-nodes-NodeList-compact.json",
			nodes: []want{{n23, true, false, "us-east-1a"}, {n77, false, false, "us-east-1c"}},
			attrs: map[string]map[string]any{
				n77: {"k8s.taint.node.kubernetes.io_unreachable": "NoExecute,NoSchedule", "k8s.ready_reason": "NodeStatusUnknown", "k8s.condition.Ready": "Unknown"},
				n23: {"k8s.taint.node.kubernetes.io_unreachable": nil, "k8s.region": "us-east-1", "k8s.instance_type": "m6i.4xlarge"},
			},
		},
		{
			file:  "k8s/assembled-kubectl-get-nodes-o-json-mixed.json",
			nodes: []want{{n23, true, false, "us-east-1a"}, {n51, true, true, "us-east-1b"}, {n77, false, false, "us-east-1c"}, {n140, false, false, "us-east-1a"}},
			attrs: map[string]map[string]any{
				n51: {"k8s.taint.node.kubernetes.io_unschedulable": "NoSchedule", "k8s.condition.Ready": "True"},
				n140: {
					"k8s.taint.nvidia.com_gpu": "NoSchedule", "k8s.taint.node.kubernetes.io_not-ready": "NoSchedule",
					"k8s.label.node-role.kubernetes.io_gpu": "", "k8s.label.nvidia.com_gpu.count": "8",
					"k8s.label.topology.kubernetes.io_zone": "us-east-1a", "k8s.roles": "gpu",
					"k8s.ready_reason": "KubeletNotReady", "k8s.condition.Ready": "False", "k8s.instance_type": "p5.48xlarge",
					"k8s.kubelet_version": "v1.29.6", "k8s.kernel": "6.1.94-99.176.amzn2023.x86_64",
					"k8s.os_image": "Amazon Linux 2023.5.20240624", "k8s.internal_ip": "10.0.1.140",
					"k8s.last_heartbeat": sourcetest.Unix("2026-08-20T08:59:41Z"), "k8s.created": sourcetest.Unix("2026-07-30T03:11:37Z"),
				},
				n23: {"k8s.roles": nil, "k8s.label.kubernetes.io_hostname": n23},
			},
		},
		{
			file:  "k8s/assembled-kubectl-get-nodes-o-wide.txt",
			nodes: []want{{n140, false, false, nil}, {n23, true, false, nil}, {n51, true, true, nil}, {n77, false, false, nil}},
			attrs: map[string]map[string]any{
				n140: {"k8s.roles": "gpu", "k8s.kubelet_version": "v1.29.6", "k8s.os_image": "Amazon Linux 2023.5.20240624",
					"k8s.kernel": "6.1.94-99.176.amzn2023.x86_64", "k8s.container_runtime": "containerd://1.7.11", "k8s.internal_ip": "10.0.1.140"},
				n23: {"k8s.roles": nil},
			},
			warns: 1,
		},
		{
			file:  "k8s/k9s-testdata-node-minikube.json",
			nodes: []want{{"minikube", true, false, nil}},
			attrs: map[string]map[string]any{"minikube": {
				"k8s.kubelet_version": "v1.15.2", "k8s.kernel": "4.15.0", "k8s.os_image": "Buildroot 2018.05.3",
				"k8s.roles": "master", "k8s.label.node-role.kubernetes.io_master": "", "k8s.internal_ip": "192.168.64.107",
			}},
		},
	}
	var covered []string
	for _, tc := range tests {
		covered = append(covered, tc.file)
		t.Run(tc.file, func(t *testing.T) {
			src, err := Parse(tc.file, sourcetest.Fixture(t, tc.file))
			require.NoError(t, err)
			sourcetest.Invariants(t, src)
			assert.Equal(t, "k8s", src.Kind)
			assert.Equal(t, "k8s", src.Name)
			assert.Equal(t, len(tc.nodes), src.Records)
			assert.Len(t, src.Warnings, tc.warns, "%v", src.Warnings)
			var hosts []string
			for _, n := range tc.nodes {
				hosts = append(hosts, n.host)
			}
			require.Equal(t, hosts, src.Hosts)
			for _, n := range tc.nodes {
				assert.Equal(t, n.ready, sourcetest.Attr(t, src, n.host, "k8s.ready"), "%s k8s.ready", n.host)
				assert.Equal(t, n.unsched, sourcetest.Attr(t, src, n.host, "k8s.unschedulable"), "%s k8s.unschedulable", n.host)
				assert.Equal(t, n.zone, sourcetest.Attr(t, src, n.host, "k8s.zone"), "%s k8s.zone", n.host)
			}
			for host, attrs := range tc.attrs {
				for name, want := range attrs {
					assert.Equal(t, want, sourcetest.Attr(t, src, host, name), "%s %s", host, name)
				}
			}
		})
	}
	sourcetest.RequireCovered(t, "k8s", covered)
}

func TestParseK8sAlternatives(t *testing.T) {
	src, err := Parse("m", sourcetest.Fixture(t, "k8s/k9s-testdata-node-minikube.json"))
	require.NoError(t, err)
	assert.Equal(t, []string{"192.168.64.107"}, sourcetest.Alt(t, src, "minikube"), "Hostname equal to the name is dropped")

	in := `{"kind":"NodeList","items":[{"metadata":{"name":"Node-A.Example.COM","labels":{"failure-domain.beta.kubernetes.io/zone":"z-old","a/b":"1","a_b":"2"}},
	"spec":{"taints":[{"key":"node.kubernetes.io/unschedulable","effect":"NoSchedule"},{"key":"team/x","value":"y","effect":"PreferNoSchedule"}]},
	"status":{"addresses":[{"type":"InternalIP","address":"10.1.2.3"},{"type":"ExternalIP","address":"1.2.3.4"},{"type":"Hostname","address":"node-a"}]}}]}`
	src, err = Parse("x", []byte(in))
	require.NoError(t, err)
	h := "node-a.example.com"
	assert.Equal(t, []string{h}, src.Hosts)
	assert.Equal(t, []string{"10.1.2.3", "node-a"}, sourcetest.Alt(t, src, h))
	assert.Equal(t, "z-old", sourcetest.Attr(t, src, h, "k8s.zone"), "beta zone label fallback")
	assert.Equal(t, true, sourcetest.Attr(t, src, h, "k8s.unschedulable"), "taint alone cordons")
	assert.Equal(t, false, sourcetest.Attr(t, src, h, "k8s.ready"), "no Ready condition")
	assert.Equal(t, "PreferNoSchedule", sourcetest.Attr(t, src, h, "k8s.taint.team_x"))
	assert.Equal(t, "2", sourcetest.Attr(t, src, h, "k8s.label.a_b"), "collision: later key in sorted order wins")
	require.Len(t, src.Warnings, 1)
	assert.Contains(t, src.Warnings[0], "both map to attribute k8s.label.a_b")
}

func TestAttrKey(t *testing.T) {
	for in, want := range map[string]string{
		"kubernetes.io/hostname":      "kubernetes.io_hostname",
		"node-role.kubernetes.io/gpu": "node-role.kubernetes.io_gpu",
		"plain_key-1.x":               "plain_key-1.x",
		"a b:c/d":                     "a_b_c_d",
	} {
		assert.Equal(t, want, source.AttrName(in), in)
	}
}

func TestParseK8sEmpty(t *testing.T) {
	for _, in := range []string{
		`{"apiVersion":"v1","items":[],"kind":"List","metadata":{"resourceVersion":""}}`,
		`{"kind":"NodeList","apiVersion":"v1","metadata":{},"items":null}`,
		"NAME   STATUS   ROLES   AGE   VERSION\n",
	} {
		src, err := Parse("x", []byte(in))
		require.Error(t, err, in)
		assert.True(t, errors.Is(err, source.ErrEmpty), "%v", err)
		require.NotNil(t, src)
		assert.Empty(t, src.Hosts)
	}
}

func TestParseK8sErrors(t *testing.T) {
	mixed := string(sourcetest.Fixture(t, "k8s/assembled-kubectl-get-nodes-o-json-mixed.json"))
	lines := strings.SplitAfter(mixed, "\n")
	head := func(n int) string { return strings.Join(lines[:n], "") }
	compact := string(sourcetest.Fixture(t, "k8s/assembled-api-v1-nodes-NodeList-compact.json"))
	table := string(sourcetest.Fixture(t, "k8s/assembled-kubectl-get-nodes-o-wide.txt"))
	hdfs := string(sourcetest.Fixture(t, "hdfs/assembled-dfsadmin-report-hadoop2.7-style.txt"))
	yarn := string(sourcetest.Fixture(t, "yarn/assembled-node-list-all-mixed-stdout.txt"))
	for _, tc := range []struct {
		name, input string
		line        int // of the *LineError, 0 for the whole file
		want        string
	}{
		{"garbage", "hello world\n", 1, "expected a JSON object from kubectl get nodes -o json"},
		{"empty", "  \n", 1, "empty input"},
		{"binary", "{\"kind\":\n\x00\x00", 2, "binary data"},
		{"hdfs file", hdfs, 1, "expected a JSON object"},
		{"yarn file", yarn, 1, "expected a JSON object"},
		{"yaml", "apiVersion: v1\nitems:\n- kind: Node\n", 1, "expected a JSON object"},
		{"json array", "\n[{\"metadata\":{\"name\":\"a\"}}]", 2, "expected a JSON object"},
		{"truncated multi-line", head(100), 100, "JSON ends early (truncated?)"},
		{"truncated compact", compact[:len(compact)/2], 1, "JSON ends early"},
		{"missing comma", strings.Replace(mixed, `"kind": "Node",`, `"kind": "Node"`, 1), 7, "bad JSON: invalid character"},
		{"wrong type", strings.Replace(mixed, `"unschedulable": true`, `"unschedulable": "yes"`, 1), 162, "bad JSON value for \"spec.unschedulable\""},
		{"wrong type in items", `{"kind":"List","items":{}}`, 1, "bad JSON value for \"items\""},
		{"trailing garbage", `{"kind":"List","items":[]}` + "\nxyz", 2, "bad JSON"},
		{"wrong list kind", `{"kind":"PodList","items":[]}`, 1, "JSON of kind \"PodList\""},
		{"wrong item kind", strings.Replace(mixed, "            \"kind\": \"Node\",\n            \"metadata\": {\n                \"annotations\"", "            \"kind\": \"Pod\",\n            \"metadata\": {\n                \"annotations\"", 1), 4, "item of kind \"Pod\""},
		{"second item wrong kind", strings.Join(lines[:123], "") + strings.Replace(strings.Join(lines[123:], ""), `"kind": "Node"`, `"kind": "Pod"`, 1), 122, "item of kind \"Pod\""},
		{"not a node list", `{"status":"success","data":{"result":[]}}`, 1, "no \"kind\" or \"items\""},
		{"node without name", "{\"kind\":\"NodeList\",\"items\":[\n{\"metadata\":{}}\n]}", 2, "no usable metadata.name"},
		{"bad timestamp", "{\"kind\":\"NodeList\",\"items\":[\n{\"metadata\":{\"name\":\"a\",\"creationTimestamp\":\"yesterday\"}}]}", 2, "bad timestamp"},
		{"table misaligned", table + "a-very-long-node-name-that-overflows   Ready   <none>   1d   v1\n", 6, "does not line up with the header at column STATUS"},
		{"table bad name", table + "short Ready\n", 6, "bad node NAME \"short Ready\""},
		{"table bad status", strings.Replace(table, "NotReady                   gpu", "Sleeping                   gpu", 1), 2, "unknown STATUS \"Sleeping\""},
	} {
		t.Run(tc.name, func(t *testing.T) { sourcetest.CheckLineErr(t, Parse, tc.input, tc.line, tc.want) })
	}
}

func TestLooks(t *testing.T) {
	for _, f := range sourcetest.FixtureFiles(t, "k8s") {
		assert.True(t, Looks(source.Head(sourcetest.Fixture(t, f))), f)
	}
	for _, kind := range []string{"hdfs", "yarn"} {
		for _, f := range sourcetest.FixtureFiles(t, kind) {
			assert.False(t, Looks(source.Head(sourcetest.Fixture(t, f))), f)
		}
	}
	assert.False(t, Looks([]byte(`{"status":"success","data":{}}`)))
	assert.False(t, Looks(nil))
}

func FuzzParse(f *testing.F) {
	for _, file := range sourcetest.FixtureFiles(f, "k8s") {
		f.Add(sourcetest.Fixture(f, file))
	}
	f.Add([]byte(`{"kind":"Node","metadata":{"name":"A","labels":{"x/y":""}},"spec":{"unschedulable":true}}`))
	f.Add([]byte("NAME   STATUS   ROLES   AGE   VERSION   LABELS\nn1     Ready    <none>  1d    v1        a=b,c/d=e\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		src, err := Parse("fuzz", data)
		sourcetest.FuzzCheck(t, src, err)
	})
}
