package sip

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"

	"pbx/configs"
)

// Accounts finds the phone user behind a SIP username. It returns
// ErrUnknownAccount when there is none. Cached reports whether Account
// would answer for username from memory, without waiting on a database.
type Accounts interface {
	Account(ctx context.Context, username string) (Account, error)
	Cached(username string) bool
}

// Registrar answers REGISTER: it authenticates the device and keeps its
// bindings in the Location.
type Registrar struct {
	cfg  configs.Registrar
	auth *Authenticator
	loc  *Location
	log  *slog.Logger
	now  func() time.Time
	// proxies are the balancers whose Path is kept (node mode).
	proxies proxies
}

// NewRegistrar returns a Registrar storing bindings in loc.
func NewRegistrar(cfg configs.Registrar, auth *Authenticator, loc *Location, log *slog.Logger, now func() time.Time) *Registrar {
	return &Registrar{cfg: cfg, auth: auth, loc: loc, log: log, now: now}
}

// Responder sends a request's response: a server transaction, or a
// stateless writer.
type Responder interface {
	Respond(res *sip.Response) error
}

// ServeImmediate answers req as ServeRegister does when that needs no
// wait on the database, so that the goroutine reading the socket may
// answer it itself instead of waking a worker: the account is in memory
// (or the request has no credentials to check), and the binding needs no
// write before the answer (a node writes a new device's before it
// answers). It reports false, having done nothing, otherwise.
func (r *Registrar) ServeImmediate(req *sip.Request, tx Responder) bool {
	if r.loc.writesBeforeAnswer() {
		return false
	}
	cred, ok := r.auth.inMemory(req)
	if ok {
		r.serve(req, tx, cred)
	}
	return ok
}

// ServeRegister answers one REGISTER. It is safe to run twice for a
// retransmitted request, so it needs no transaction.
func (r *Registrar) ServeRegister(req *sip.Request, tx Responder) { r.serve(req, tx, nil) }

// serve is ServeRegister with the credentials already parsed, or nil.
func (r *Registrar) serve(req *sip.Request, tx Responder, cred *digest.Credentials) {
	to := req.To()
	if to == nil || to.Address.User == "" {
		respond(tx, req, 400, "Missing AOR in To", nil)
		return
	}
	aor := to.Address.User
	acct, ok := r.auth.authenticate(req, tx, 401, cred)
	if !ok {
		return
	}
	if acct.Username != aor {
		// Proven as one user, registering another: refuse.
		respond(tx, req, 403, "Forbidden", nil)
		return
	}
	up, code, reason := r.parse(req)
	if code != 0 {
		if code == 423 {
			respond(tx, req, code, reason, []sip.Header{sip.NewHeader("Min-Expires", strconv.Itoa(r.cfg.MinExpires))})
			return
		}
		respond(tx, req, code, reason, nil)
		return
	}
	var bindings []Binding
	if up == nil { // a query: no Contact
		bindings = r.loc.Lookup(aor)
	} else {
		up.AOR, up.UserID = aor, acct.UserID
		var err error
		bindings, err = r.loc.Register(context.Background(), *up)
		if errors.Is(err, ErrOutOfOrder) {
			respond(tx, req, 400, "CSeq Out Of Order", nil)
			return
		}
		if err != nil {
			r.log.Error("register", "user", aor, "error", err)
			respond(tx, req, 500, "Server Internal Error", nil)
			return
		}
		if r.log.Enabled(context.Background(), slog.LevelDebug) {
			// Boxing the attributes allocates even when the level is off.
			r.log.Debug("registered", "user", aor, "remote", up.Source, "contacts", len(bindings))
		}
	}
	now := r.now()
	hdrs := make([]sip.Header, 0, len(bindings)+1)
	for _, b := range bindings {
		secs := int(b.Expires.Sub(now).Round(time.Second) / time.Second)
		hdrs = append(hdrs, sip.NewHeader("Contact", "<"+b.Contact+">;expires="+strconv.Itoa(secs)))
	}
	hdrs = append(hdrs, sip.NewHeader("Date", now.UTC().Format(http1123)))
	if up != nil && up.Path != "" {
		// RFC 3327 5.3: the registrar says which Path it stored.
		for _, h := range req.GetHeaders("Path") {
			hdrs = append(hdrs, sip.NewHeader("Path", h.Value()))
		}
	}
	respond(tx, req, 200, "OK", hdrs)
}

const http1123 = "Mon, 02 Jan 2006 15:04:05 GMT"

// parse turns a REGISTER's Contact and Expires headers into an Update. It
// returns nil for a query (no Contact), or a SIP error code and reason.
func (r *Registrar) parse(req *sip.Request) (*Update, int, string) {
	contacts := req.GetHeaders("Contact")
	if len(contacts) == 0 {
		return nil, 0, ""
	}
	headerExpires := -1
	if h := req.GetHeader("Expires"); h != nil {
		n, err := strconv.Atoi(strings.TrimSpace(h.Value()))
		if err != nil || n < 0 {
			return nil, 400, "Bad Expires"
		}
		headerExpires = n
	}
	cseq := req.CSeq()
	callID := req.CallID()
	if cseq == nil || callID == nil {
		return nil, 400, "Missing CSeq or Call-ID"
	}
	up := &Update{
		CallID:    callID.Value(),
		CSeq:      cseq.SeqNo,
		Source:    req.Source(),
		Transport: strings.ToLower(req.Transport()),
	}
	if ua := req.GetHeader("User-Agent"); ua != nil {
		up.UserAgent = ua.Value()
	}
	up.Path = r.proxies.path(req)
	for _, h := range contacts {
		c, ok := h.(*sip.ContactHeader)
		if !ok {
			return nil, 400, "Bad Contact"
		}
		if c.Address.Wildcard {
			if len(contacts) != 1 || headerExpires != 0 {
				return nil, 400, "Contact * needs Expires: 0 and no other Contact"
			}
			up.Wildcard = true
			return up, 0, ""
		}
		if s := strings.ToLower(c.Address.Scheme); s != "sip" && s != "sips" {
			return nil, 400, "Contact must be a sip URI"
		}
		expires := r.cfg.DefaultExpires
		if headerExpires >= 0 {
			expires = headerExpires
		}
		if v, ok := c.Params.Get("expires"); ok {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return nil, 400, "Bad Contact expires"
			}
			expires = n
		}
		if expires > 0 && expires < r.cfg.MinExpires {
			return nil, 423, "Interval Too Brief"
		}
		expires = min(expires, r.cfg.MaxExpires)
		instance, _ := c.Params.Get("+sip.instance")
		up.Contacts = append(up.Contacts, ContactUpdate{
			URI:      c.Address.String(),
			Instance: strings.Trim(instance, `"<>`),
			Expires:  expires,
		})
		// Behind a balancer (a Path), the balancer reaches the device.
		if up.Path == "" && behindNAT(c.Address, up.Source, up.Transport) {
			up.NAT = true
		}
	}
	return up, 0, ""
}

// behindNAT reports whether the contact a device wrote differs from the
// address its packets came from: then it can only be reached at the source,
// and only while something keeps its NAT binding open.
func behindNAT(contact sip.Uri, source, transport string) bool {
	host, port, err := net.SplitHostPort(source)
	if err != nil {
		return false
	}
	if strings.Trim(contact.Host, "[]") != host {
		return true
	}
	if transport != "udp" {
		return false // a TCP client's contact port is usually not its source port
	}
	cport := contact.Port
	if cport == 0 {
		cport = 5060
	}
	return strconv.Itoa(cport) != port
}

// respond sends a final response built from req with extra headers.
func respond(tx Responder, req *sip.Request, code int, reason string, hdrs []sip.Header) {
	if w, ok := tx.(*statelessResponder); ok && w.answer(req, code, reason, hdrs) {
		return
	}
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	for _, h := range hdrs {
		res.AppendHeader(h)
	}
	_ = tx.Respond(res) // a lost response is retransmitted by the peer
}
