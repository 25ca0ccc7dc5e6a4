// Package sip is the PBX's SIP edge: UDP and TCP listeners, the registrar and
// its location service, digest authentication, the failed-auth guard and NAT
// keepalives. It is the only package that imports sipgo. It knows nothing of
// users beyond the Accounts interface it declares; cmd wires the directory in.
package sip
