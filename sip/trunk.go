package sip

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"

	"pbx/invalid"
)

// Trunk is a carrier SIP trunk: where the PBX sends outbound calls, how it
// authenticates there, and which source addresses it accepts calls from.
type Trunk struct {
	ID        uint   `gorm:"primaryKey" json:"id"`
	Name      string `gorm:"size:100;not null;uniqueIndex" json:"name"`
	Host      string `gorm:"size:255;not null" json:"host"`
	Port      int    `gorm:"not null" json:"port"`
	Transport string `gorm:"size:8;not null" json:"transport"`
	// Username and Password answer the carrier's digest challenges (and
	// register to it when Register is set). The password must be kept in
	// a form we can send: it is stored as given and never returned.
	Username string `gorm:"size:128" json:"username"`
	Password string `gorm:"size:256" json:"-"`
	Register bool   `gorm:"not null" json:"register"`
	// InboundCIDRs are the source networks whose INVITEs are this trunk's calls.
	InboundCIDRs []string `gorm:"serializer:json" json:"inbound_cidrs"`
	// CallerIDFormat is how the calling number is written toward the
	// carrier: e164 (+15550001111), digits (15550001111) or national (5550001111).
	CallerIDFormat string `gorm:"size:16;not null" json:"caller_id_format"`
	Enabled        bool   `gorm:"not null" json:"enabled"`
	HasPassword    bool   `gorm:"-" json:"has_password"`
	// Registration is the PBX's registration to the carrier, when register is set.
	Registration *TrunkRegistration `gorm:"-" json:"registration,omitempty"`
	CreatedAt    time.Time          `json:"created_at"`
	UpdatedAt    time.Time          `json:"updated_at"`
}

// TrunkInput is what a client sends to create or change a trunk; a nil
// field is left as it is on update.
type TrunkInput struct {
	Name           *string   `json:"name"`
	Host           *string   `json:"host"`
	Port           *int      `json:"port"`
	Transport      *string   `json:"transport"`
	Username       *string   `json:"username"`
	Password       *string   `json:"password"`
	Register       *bool     `json:"register"`
	InboundCIDRs   *[]string `json:"inbound_cidrs"`
	CallerIDFormat *string   `json:"caller_id_format"`
	Enabled        *bool     `json:"enabled"`
}

// ErrNotFound is returned for a trunk that does not exist.
var ErrNotFound = errors.New("not found")

// Trunks keeps the carrier trunks, and in memory the networks inbound calls
// are accepted from, so that matching an INVITE's source costs no query.
type Trunks struct {
	db  *gorm.DB
	reg registrations // the PBX's own registrations to carriers
	// numbersUsing names the numbers reached through a trunk, which keep
	// it from being deleted; nil: none do.
	numbersUsing func(tx *gorm.DB, id uint) ([]string, error)
	// changed, when set, hears that this node changed the trunks.
	changed func()

	mu      sync.RWMutex
	inbound []trunkNet
	hosts   []netip.Addr // what the enabled trunks' hosts are or resolve to
}

type trunkNet struct {
	prefix netip.Prefix
	trunk  Trunk
}

// TrunkOption adds an optional part to Trunks.
type TrunkOption func(*Trunks)

// WithNumbersUsing has Delete refuse a trunk that numbers(tx, id) names
// numbers for (the numbers are kept elsewhere; routing.NumbersUsingTrunk).
func WithNumbersUsing(numbers func(tx *gorm.DB, id uint) ([]string, error)) TrunkOption {
	return func(t *Trunks) { t.numbersUsing = numbers }
}

// NewTrunks returns the trunk store over db and loads the inbound networks.
func NewTrunks(ctx context.Context, db *gorm.DB, opts ...TrunkOption) (*Trunks, error) {
	t := &Trunks{db: db}
	for _, o := range opts {
		o(t)
	}
	return t, t.reload(ctx)
}

// Match returns the enabled trunk whose inbound networks hold ip; the most
// specific network wins.
func (t *Trunks) Match(ip netip.Addr) (Trunk, bool) {
	ip = ip.Unmap()
	t.mu.RLock()
	defer t.mu.RUnlock()
	best, found := -1, Trunk{}
	for _, n := range t.inbound {
		if n.prefix.Contains(ip) && n.prefix.Bits() > best {
			best, found = n.prefix.Bits(), n.trunk
		}
	}
	return found, best >= 0
}

// Trusted reports whether ip is a carrier's: within an enabled trunk's
// inbound networks, or an address its host is or resolves to.
func (t *Trunks) Trusted(ip netip.Addr) bool {
	if _, ok := t.Match(ip); ok {
		return true
	}
	ip = ip.Unmap()
	t.mu.RLock()
	defer t.mu.RUnlock()
	return slices.Contains(t.hosts, ip)
}

func (t *Trunks) reload(ctx context.Context) error {
	var all []Trunk
	if err := t.db.WithContext(ctx).Where("enabled = ?", true).Find(&all).Error; err != nil {
		return fmt.Errorf("load trunks: %w", err)
	}
	var nets []trunkNet
	var names []string
	for _, tr := range all {
		tr.Password = "" // the matcher has no use for it
		for _, c := range tr.InboundCIDRs {
			if p, err := parseCIDR(c); err == nil {
				nets = append(nets, trunkNet{prefix: p, trunk: tr})
			}
		}
		names = append(names, tr.Host)
	}
	hosts := resolveHosts(ctx, names)
	t.mu.Lock()
	t.inbound, t.hosts = nets, hosts
	t.mu.Unlock()
	return nil
}

// Resolve looks the trunks' host names up again, for carriers whose
// addresses change.
func (t *Trunks) Resolve(ctx context.Context) {
	var names []string
	if err := t.db.WithContext(ctx).Model(&Trunk{}).Where("enabled = ?", true).Pluck("host", &names).Error; err != nil {
		return // the addresses known stay
	}
	hosts := resolveHosts(ctx, names)
	t.mu.Lock()
	t.hosts = hosts
	t.mu.Unlock()
}

// resolveHosts returns the addresses of hosts: IP literals as they are,
// names as DNS resolves them (a name that fails to resolve is skipped).
func resolveHosts(ctx context.Context, hosts []string) []netip.Addr {
	var out []netip.Addr
	for _, h := range hosts {
		if a, err := netip.ParseAddr(h); err == nil {
			out = append(out, a.Unmap())
			continue
		}
		rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		addrs, _ := net.DefaultResolver.LookupNetIP(rctx, "ip", h)
		cancel()
		for _, a := range addrs {
			out = append(out, a.Unmap())
		}
	}
	return out
}

// List returns every trunk ordered by name.
func (t *Trunks) List(ctx context.Context) ([]Trunk, error) {
	var all []Trunk
	if err := t.db.WithContext(ctx).Order("name").Find(&all).Error; err != nil {
		return nil, fmt.Errorf("list trunks: %w", err)
	}
	for i := range all {
		all[i].prepare()
		t.status(&all[i])
	}
	return all, nil
}

// Get returns the trunk with id, or ErrNotFound.
func (t *Trunks) Get(ctx context.Context, id uint) (Trunk, error) {
	var tr Trunk
	err := t.db.WithContext(ctx).First(&tr, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return tr, fmt.Errorf("trunk %d: %w", id, ErrNotFound)
	}
	tr.prepare()
	t.status(&tr)
	return tr, err
}

// status fills in the live registration state of a trunk that registers.
func (t *Trunks) status(tr *Trunk) {
	if !tr.Register {
		return
	}
	st, _ := t.reg.get(tr.ID)
	tr.Registration = &st
}

// Create validates in and stores a new trunk.
func (t *Trunks) Create(ctx context.Context, in TrunkInput) (Trunk, error) {
	tr := Trunk{Port: 5060, Transport: "udp", CallerIDFormat: "e164", Enabled: true, InboundCIDRs: []string{}}
	if err := t.save(t.db.WithContext(ctx), &tr, in, true); err != nil {
		return Trunk{}, err
	}
	return t.saved(ctx, tr)
}

// Update changes the fields in sets. The trunk is read, changed and
// written in one transaction: a field the client did not send (the carrier
// password above all) is written back as it was read, or nothing is written.
func (t *Trunks) Update(ctx context.Context, id uint, in TrunkInput) (Trunk, error) {
	var tr Trunk
	err := t.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		err := tx.First(&tr, id).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return fmt.Errorf("trunk %d: %w", id, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("read trunk %d: %w", id, err)
		}
		return t.save(tx, &tr, in, false)
	})
	if err != nil {
		return Trunk{}, err
	}
	return t.saved(ctx, tr)
}

// saved reloads the inbound networks after tr was stored, and returns tr as
// the API shows it.
func (t *Trunks) saved(ctx context.Context, tr Trunk) (Trunk, error) {
	if err := t.reload(ctx); err != nil {
		return Trunk{}, err
	}
	t.announce()
	tr.prepare()
	t.status(&tr)
	return tr, nil
}

// Delete removes the trunk, or returns an *invalid.InUseError naming the
// numbers reached through it.
func (t *Trunks) Delete(ctx context.Context, id uint) error {
	err := t.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&Trunk{}).Where("id = ?", id).Count(&n).Error; err != nil {
			return fmt.Errorf("trunk %d: %w", id, err)
		}
		if n == 0 {
			return fmt.Errorf("trunk %d: %w", id, ErrNotFound)
		}
		if t.numbersUsing != nil {
			numbers, err := t.numbersUsing(tx, id)
			if err != nil {
				return err
			}
			if err := invalid.InUse("the trunk", nil, numbers); err != nil {
				return err
			}
		}
		if err := tx.Delete(&Trunk{}, id).Error; err != nil {
			return fmt.Errorf("delete trunk %d: %w", id, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	defer t.announce()
	return t.reload(ctx)
}

// TrunkExists reports whether trunk id exists, for the numbers kept
// elsewhere that name one. Give db a context with WithContext.
func TrunkExists(db *gorm.DB, id uint) (bool, error) {
	var n int64
	if err := db.Model(&Trunk{}).Where("id = ?", id).Count(&n).Error; err != nil {
		return false, fmt.Errorf("trunk %d: %w", id, err)
	}
	return n > 0, nil
}

// save validates in over tr and writes tr through db.
func (t *Trunks) save(db *gorm.DB, tr *Trunk, in TrunkInput, create bool) error {
	v := applyTrunk(tr, in, create)
	if in.Name != nil {
		var n int64
		if err := db.Model(&Trunk{}).Where("name = ? AND id <> ?", tr.Name, tr.ID).Count(&n).Error; err != nil {
			return fmt.Errorf("check trunk name: %w", err)
		}
		if n > 0 {
			v.Add("name", fmt.Sprintf("a trunk named %q already exists", tr.Name))
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	var err error
	if create {
		err = db.Create(tr).Error
	} else {
		err = db.Select("*").Omit("created_at").Save(tr).Error
	}
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return invalid.New("name", "a trunk with this name already exists")
	}
	if err != nil {
		return fmt.Errorf("save trunk: %w", err)
	}
	return nil
}

var hostRe = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9.-]{0,253})$`)

// applyTrunk copies in over tr and returns every field it refuses.
func applyTrunk(tr *Trunk, in TrunkInput, create bool) *invalid.Error {
	v := &invalid.Error{}
	if in.Name == nil && create {
		v.Add("name", "is required")
	}
	if in.Name != nil {
		name := strings.TrimSpace(*in.Name)
		if name == "" || len(name) > 100 || strings.ContainsAny(name, "\r\n") {
			v.Add("name", "must be 1 to 100 characters on one line")
		}
		tr.Name = name
	}
	if in.Host == nil && create {
		v.Add("host", "is required")
	}
	if in.Host != nil {
		h := strings.TrimSpace(*in.Host)
		if _, err := netip.ParseAddr(h); err != nil && !hostRe.MatchString(h) {
			v.Add("host", "must be an IP address or a host name")
		}
		tr.Host = h
	}
	if in.Port != nil {
		if *in.Port < 1 || *in.Port > 65535 {
			v.Add("port", "must be 1 to 65535")
		}
		tr.Port = *in.Port
	}
	if in.Transport != nil {
		if *in.Transport != "udp" && *in.Transport != "tcp" {
			v.Add("transport", "must be udp or tcp")
		}
		tr.Transport = *in.Transport
	}
	if in.Username != nil {
		if len(*in.Username) > 128 || strings.ContainsAny(*in.Username, "\"\r\n") {
			v.Add("username", "must be at most 128 characters without quotes or line breaks")
		}
		tr.Username = *in.Username
	}
	if in.Password != nil {
		if len(*in.Password) > 256 || strings.ContainsAny(*in.Password, "\r\n") {
			v.Add("password", "must be at most 256 characters on one line")
		}
		tr.Password = *in.Password
	}
	if in.Register != nil {
		tr.Register = *in.Register
	}
	if in.InboundCIDRs != nil {
		for i, c := range *in.InboundCIDRs {
			if _, err := parseCIDR(c); err != nil {
				v.Add(fmt.Sprintf("inbound_cidrs[%d]", i), fmt.Sprintf("%q is not an address or network such as 203.0.113.0/24", c))
			}
		}
		tr.InboundCIDRs = slices.Clone(*in.InboundCIDRs)
	}
	if in.CallerIDFormat != nil {
		switch *in.CallerIDFormat {
		case "e164", "digits", "national":
		default:
			v.Add("caller_id_format", "must be e164, digits or national")
		}
		tr.CallerIDFormat = *in.CallerIDFormat
	}
	if in.Enabled != nil {
		tr.Enabled = *in.Enabled
	}
	if tr.Register && (tr.Username == "" || tr.Password == "") && len(v.Fields) == 0 {
		v.Add("register", "needs a username and a password")
	}
	return v
}

// parseCIDR accepts a network ("203.0.113.0/24") or a single address.
func parseCIDR(s string) (netip.Prefix, error) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), nil
}

// prepare readies a trunk for the API: the password is reported as set or
// not, never returned.
func (tr *Trunk) prepare() {
	tr.HasPassword = tr.Password != ""
	tr.Password = ""
	if tr.InboundCIDRs == nil {
		tr.InboundCIDRs = []string{}
	}
}
