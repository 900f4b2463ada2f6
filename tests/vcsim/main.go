// A vSphere API simulator for auditor's tests: govmomi's simulator.VPX() on a loopback port.
// Prints the SDK URL on stdout, then serves until killed.
package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"net/url"
	"os"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// deniedPerf refuses QueryPerf as vCenter does for a role without Performance rights.
type deniedPerf struct{ *simulator.PerformanceManager }

func (p *deniedPerf) QueryPerf(ctx *simulator.Context, req *types.QueryPerf) soap.HasFault {
	return &denied{simulator.Fault("Permission to perform this operation was denied.",
		&types.NoPermission{Object: p.Self, PrivilegeId: "System.Read"})}
}

type denied struct{ f *soap.Fault }

func (d *denied) Fault() *soap.Fault { return d.f }

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
	flag.Parse()

	model := simulator.VPX()
	model.Machine = *vms
	model.ClusterHost = *hosts
	if err := model.Create(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if *denyPerf {
		pm := simulator.Map.Get(*model.ServiceContent.PerfManager).(*simulator.PerformanceManager)
		simulator.Map.Put(&deniedPerf{pm})
	}
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
