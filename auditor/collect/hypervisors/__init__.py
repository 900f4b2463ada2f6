"""Read-only discovery of VMs and hypervisor hosts from vSphere and Proxmox VE APIs."""
