// A vSphere API simulator for auditor's tests: govmomi's simulator.VPX() on a loopback port.
// Prints the SDK URL on stdout, then serves until killed.
package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// deniedPerf refuses QueryPerf as vCenter does for a role without Performance rights.
// Embedded by value: the property collector digs the mo type out through first fields.
type deniedPerf struct{ simulator.PerformanceManager }

func (p *deniedPerf) QueryPerf(ctx *simulator.Context, req *types.QueryPerf) soap.HasFault {
	return &denied{simulator.Fault("Permission to perform this operation was denied.",
		&types.NoPermission{Object: p.Self, PrivilegeId: "System.Read"})}
}

type denied struct{ f *soap.Fault }

func (d *denied) Fault() *soap.Fault { return d.f }

// serverPage caps the objects of one RetrievePropertiesEx page (0: only the client's maxObjects).
var serverPage int

// pagedCollector pages RetrievePropertiesEx as vCenter does (the simulator of Debian's govmomi
// 0.24 ignores maxObjects and has no ContinueRetrievePropertiesEx): at most maxObjects (or the
// server's own page size, if smaller) per answer, the rest behind a token. The simulator makes
// one per session from this type's zero value.
type pagedCollector struct {
	simulator.PropertyCollector
	lock  sync.Mutex
	next  int
	pages map[string]pending
}

type pending struct {
	size    int
	objects []types.ObjectContent
}

func (pc *pagedCollector) page(size int, objects []types.ObjectContent) *types.RetrieveResult {
	if serverPage > 0 && (size <= 0 || serverPage < size) {
		size = serverPage
	}
	if size <= 0 || len(objects) <= size {
		return &types.RetrieveResult{Objects: objects}
	}
	pc.lock.Lock()
	defer pc.lock.Unlock()
	if pc.pages == nil {
		pc.pages = map[string]pending{}
	}
	pc.next++
	token := "page-" + strconv.Itoa(pc.next)
	pc.pages[token] = pending{size, objects[size:]}
	return &types.RetrieveResult{Token: token, Objects: objects[:size]}
}

func (pc *pagedCollector) RetrievePropertiesEx(ctx *simulator.Context, r *types.RetrievePropertiesEx) soap.HasFault {
	body := pc.PropertyCollector.RetrievePropertiesEx(ctx, r).(*methods.RetrievePropertiesExBody)
	if body.Res != nil && body.Res.Returnval != nil {
		body.Res.Returnval = pc.page(int(r.Options.MaxObjects), body.Res.Returnval.Objects)
	}
	return body
}

func (pc *pagedCollector) ContinueRetrievePropertiesEx(ctx *simulator.Context, r *types.ContinueRetrievePropertiesEx) soap.HasFault {
	body := new(methods.ContinueRetrievePropertiesExBody)
	pc.lock.Lock()
	rest, ok := pc.pages[r.Token]
	delete(pc.pages, r.Token)
	pc.lock.Unlock()
	if !ok {
		body.Fault_ = simulator.Fault("unknown token", &types.InvalidArgument{InvalidProperty: "token"})
		return body
	}
	body.Res = &types.ContinueRetrievePropertiesExResponse{Returnval: *pc.page(rest.size, rest.objects)}
	return body
}

// csvPerf answers QueryPerf in the CSV shape vCenter sends when a spec asks format "csv"
// (the simulator of govmomi 0.24 always sends one element per sample).
type csvPerf struct{ simulator.PerformanceManager }

func (p *csvPerf) QueryPerf(ctx *simulator.Context, req *types.QueryPerf) soap.HasFault {
	body := p.PerformanceManager.QueryPerf(ctx, req).(*methods.QueryPerfBody)
	if body.Res == nil {
		return body
	}
	for i, base := range body.Res.Returnval {
		metric, ok := base.(*types.PerfEntityMetric)
		if !ok || i >= len(req.QuerySpec) || req.QuerySpec[i].Format != "csv" {
			continue
		}
		info := make([]string, 0, 2*len(metric.SampleInfo))
		for _, s := range metric.SampleInfo {
			info = append(info, strconv.Itoa(int(s.Interval)), s.Timestamp.UTC().Format("2006-01-02T15:04:05Z"))
		}
		out := &types.PerfEntityMetricCSV{SampleInfoCSV: strings.Join(info, ",")}
		out.Entity = metric.Entity
		for _, series := range metric.Value {
			ints, ok := series.(*types.PerfMetricIntSeries)
			if !ok {
				continue
			}
			values := make([]string, len(ints.Value))
			for j, v := range ints.Value {
				values[j] = strconv.FormatInt(v, 10)
			}
			csv := types.PerfMetricSeriesCSV{Value: strings.Join(values, ",")}
			csv.Id = ints.Id
			out.Value = append(out.Value, csv)
		}
		body.Res.Returnval[i] = out
	}
	return body
}

func main() {
	vms := flag.Int("vm", 2, "VMs per resource pool (the cluster and the standalone host each have one)")
	hosts := flag.Int("host", 3, "hosts in the cluster")
	listen := flag.String("l", "127.0.0.1:0", "address to listen on")
	user := flag.String("user", "auditor", "the one user name accepted")
	password := flag.String("password", "secret", "its password")
	plain := flag.Bool("plain", false, "serve plain HTTP instead of HTTPS")
	cert := flag.String("cert", "", "PEM certificate for HTTPS (default: the simulator's own)")
	key := flag.String("key", "", "PEM key of -cert")
	denyPerf := flag.Bool("deny-perf", false, "refuse QueryPerf (a user without performance rights)")
	perfCSV := flag.Bool("perf-csv", false, "answer QueryPerf format csv in the CSV shape, as vCenter does")
	rollups := flag.Bool("rollups", false, "keep vCenter's default historical intervals (5 min/day, 30 min/week, 2 h/month, 1 day/year)")
	flag.IntVar(&serverPage, "page", 0, "objects per RetrievePropertiesEx page at most (0: the client's maxObjects)")
	flag.Parse()

	model := simulator.VPX()
	model.Machine = *vms
	model.ClusterHost = *hosts
	if err := model.Create(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	pm := simulator.Map.Get(*model.ServiceContent.PerfManager).(*simulator.PerformanceManager)
	if *rollups {
		pm.HistoricalInterval = []types.PerfInterval{
			{Key: 1, SamplingPeriod: 300, Name: "Past day", Length: 86400, Level: 1, Enabled: true},
			{Key: 2, SamplingPeriod: 1800, Name: "Past week", Length: 604800, Level: 1, Enabled: true},
			{Key: 3, SamplingPeriod: 7200, Name: "Past month", Length: 2592000, Level: 1, Enabled: true},
			{Key: 4, SamplingPeriod: 86400, Name: "Past year", Length: 31536000, Level: 1, Enabled: true},
		}
	}
	if *denyPerf {
		simulator.Map.Put(&deniedPerf{*pm})
	} else if *perfCSV {
		simulator.Map.Put(&csvPerf{*pm})
	}
	collector := &pagedCollector{}
	collector.Self = model.ServiceContent.PropertyCollector
	simulator.Map.Put(collector)
	model.Service.Listen = &url.URL{Host: *listen, User: url.UserPassword(*user, *password)}
	if !*plain {
		model.Service.TLS = new(tls.Config)
		if *cert != "" {
			pair, err := tls.LoadX509KeyPair(*cert, *key)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			model.Service.TLS.Certificates = []tls.Certificate{pair}
		}
	}
	server := model.Service.NewServer()
	shown := *server.URL // a copy: the server checks logins against server.URL.User
	shown.User = nil
	fmt.Println(shown.String())
	select {}
}
