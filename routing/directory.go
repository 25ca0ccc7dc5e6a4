package routing

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"

	"gorm.io/gorm"

	"pbx/invalid"
)

// Directory keeps phone users, phone groups, numbers and call flows.
type Directory struct {
	db    *gorm.DB
	realm string
	now   func() time.Time // when flows are published
	// accounts caches SIP username lookups for the registrar; groups
	// caches groups with their members for calls. Any user or group
	// change clears both.
	accounts *cache[string, sipAccount]
	groups   *cache[uint, Group]
	// published caches what a call to a number finds (its published flow,
	// or why there is none); any flow or number change clears it.
	published *cache[string, publishedAnswer]
	// changed hears that this node changed users, groups, flows or
	// numbers (a cluster tells the other nodes); nil: nobody.
	changed func()
	// trunkExists tells whether a carrier trunk (kept by the sip package)
	// exists; nil: none does, and numbers can name no trunk.
	trunkExists func(db *gorm.DB, id uint) (bool, error)
}

// DirectoryOption adds an optional part to a Directory.
type DirectoryOption func(*Directory)

// WithChanged has changed called after each change this Directory makes to
// what it caches (users, groups, flows, numbers), so that other nodes
// sharing the database can drop their copies (Forget).
func WithChanged(changed func()) DirectoryOption {
	return func(d *Directory) { d.changed = changed }
}

// Forget drops everything the Directory caches: another node changed the
// database under it.
func (d *Directory) Forget() {
	d.accounts.clear()
	d.groups.clear()
	d.published.clear()
}

// WithTrunks lets numbers name the carrier trunks that exists reports
// (sip.TrunkExists).
func WithTrunks(exists func(db *gorm.DB, id uint) (bool, error)) DirectoryOption {
	return func(d *Directory) { d.trunkExists = exists }
}

// accountsTTL is how long a SIP username lookup is kept. Changes clear it
// at once (on other nodes through Forget); the time only bounds a missed
// notice. It outlasts the minute many phones behind NAT re-register at, so
// their REGISTERs are answered from memory, on the socket's reader, rather
// than each reading the database.
const accountsTTL = 2 * time.Minute

// NewDirectory returns a Directory over db. realm is the SIP digest realm the
// stored password hashes are computed for.
func NewDirectory(db *gorm.DB, realm string, opts ...DirectoryOption) *Directory {
	d := &Directory{db: db, realm: realm, now: time.Now,
		accounts:  newCache[string, sipAccount](accountsTTL, time.Now),
		groups:    newCache[uint, Group](30*time.Second, time.Now),
		published: newCache[string, publishedAnswer](30*time.Second, time.Now)}
	for _, o := range opts {
		o(d)
	}
	return d
}

var (
	extensionRe   = regexp.MustCompile(`^[0-9]{2,10}$`)
	sipUsernameRe = regexp.MustCompile(`^[A-Za-z0-9._~+-]{1,64}$`)
	e164Re        = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
)

// UserFilter narrows ListUsers.
type UserFilter struct {
	GroupID uint // 0: any group
}

// ListUsers returns users ordered by extension.
func (d *Directory) ListUsers(ctx context.Context, f UserFilter) ([]User, error) {
	q := d.db.WithContext(ctx).Order("extension")
	if f.GroupID != 0 {
		q = q.Where("id IN (?)", d.db.Model(&GroupMember{}).Select("user_id").Where("group_id = ?", f.GroupID))
	}
	var users []User
	if err := q.Find(&users).Error; err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	if err := d.fillGroupIDs(ctx, d.db, users); err != nil {
		return nil, err
	}
	return users, nil
}

// User returns the user with id, or ErrNotFound.
func (d *Directory) User(ctx context.Context, id uint) (User, error) {
	return d.user(ctx, d.db, id)
}

func (d *Directory) user(ctx context.Context, tx *gorm.DB, id uint) (User, error) {
	var u User
	err := tx.WithContext(ctx).First(&u, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return u, fmt.Errorf("user %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return u, fmt.Errorf("user %d: %w", id, err)
	}
	users := []User{u}
	if err := d.fillGroupIDs(ctx, tx, users); err != nil {
		return u, err
	}
	return users[0], nil
}

var errRecordNotFound = gorm.ErrRecordNotFound

func errNoSIPUser(username string) error {
	return fmt.Errorf("sip user %q: %w", username, ErrNotFound)
}

// CreateUser validates in and stores a new user.
func (d *Directory) CreateUser(ctx context.Context, in UserInput) (User, error) {
	var u User
	if in.SIPUsername == nil && in.Extension != nil {
		in.SIPUsername = in.Extension // phones usually register with their extension
	}
	err := d.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := d.applyUser(ctx, tx, &u, in, true); err != nil {
			return err
		}
		if err := tx.Create(&u).Error; err != nil {
			return d.uniqueUserError(err)
		}
		if in.GroupIDs != nil {
			return setUserGroups(tx, u.ID, *in.GroupIDs)
		}
		return nil
	})
	if err != nil {
		return User{}, err
	}
	d.forget()
	return d.User(ctx, u.ID)
}

// UpdateUser changes the fields in sets and returns the user as stored.
func (d *Directory) UpdateUser(ctx context.Context, id uint, in UserInput) (User, error) {
	err := d.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		u, err := d.user(ctx, tx, id)
		if err != nil {
			return err
		}
		if in.SIPUsername != nil && *in.SIPUsername != u.SIPUsername && in.SIPPassword == nil {
			// The stored hashes include the username; they cannot follow a rename.
			return invalid.New("sip_password", "required when sip_username changes")
		}
		if err := d.applyUser(ctx, tx, &u, in, false); err != nil {
			return err
		}
		if err := tx.Select("*").Omit("created_at").Save(&u).Error; err != nil {
			return d.uniqueUserError(err)
		}
		if in.GroupIDs != nil {
			return setUserGroups(tx, u.ID, *in.GroupIDs)
		}
		return nil
	})
	if err != nil {
		return User{}, err
	}
	d.forget()
	return d.User(ctx, id)
}

// DeleteUser removes the user and their group memberships, or returns an
// *invalid.InUseError naming the flows that transfer calls to the user.
func (d *Directory) DeleteUser(ctx context.Context, id uint) error {
	defer d.forget()
	return d.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if _, err := d.user(ctx, tx, id); err != nil {
			return err
		}
		flows, err := FlowsUsingUser(tx, id)
		if err != nil {
			return err
		}
		if err := invalid.InUse("the user", flows, nil); err != nil {
			return err
		}
		res := tx.Delete(&User{}, id)
		if res.Error != nil {
			return fmt.Errorf("delete user %d: %w", id, res.Error)
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("user %d: %w", id, ErrNotFound)
		}
		return tx.Where("user_id = ?", id).Delete(&GroupMember{}).Error
	})
}

// applyUser validates in against u and copies it over; on create every
// required field must be present.
func (d *Directory) applyUser(ctx context.Context, tx *gorm.DB, u *User, in UserInput, create bool) error {
	var v invalid.Error
	required := func(field string, present bool) bool {
		if !present && create {
			v.Add(field, "is required")
		}
		return present
	}
	if required("name", in.Name != nil) {
		if msg := checkName(*in.Name, 100); msg != "" {
			v.Add("name", msg)
		}
		u.Name = strings.TrimSpace(*in.Name)
	}
	if required("extension", in.Extension != nil) {
		if !extensionRe.MatchString(*in.Extension) {
			v.Add("extension", "must be 2 to 10 digits")
		}
		u.Extension = *in.Extension
	}
	if required("sip_username", in.SIPUsername != nil) {
		if !sipUsernameRe.MatchString(*in.SIPUsername) {
			v.Add("sip_username", "must be 1 to 64 letters, digits or . _ ~ + -")
		}
		u.SIPUsername = *in.SIPUsername
	}
	if required("sip_password", in.SIPPassword != nil) {
		p := *in.SIPPassword
		switch {
		case len(p) < 8 || len(p) > 128:
			v.Add("sip_password", "must be 8 to 128 characters")
		case strings.IndexFunc(p, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0:
			v.Add("sip_password", "must hold printable characters only")
		}
	}
	if in.AllowOutbound != nil {
		u.AllowOutbound = *in.AllowOutbound
	}
	if in.RecordOutbound != nil {
		u.RecordOutbound = *in.RecordOutbound
	}
	if in.AllowCustomCallerID != nil {
		u.AllowCustomCallerID = *in.AllowCustomCallerID
	}
	if in.CallerIDs != nil {
		ids := *in.CallerIDs
		if len(ids) > 50 {
			v.Add("caller_ids", "at most 50 numbers")
		}
		var owned []string
		if len(ids) > 0 {
			if err := tx.WithContext(ctx).Model(&Number{}).Where("e164 IN ?", ids).Pluck("e164", &owned).Error; err != nil {
				return err
			}
		}
		for i, id := range ids {
			switch {
			case !e164Re.MatchString(id):
				v.Add(fmt.Sprintf("caller_ids[%d]", i), fmt.Sprintf("%q is not an E.164 number such as +15550001111", id))
			case slices.Index(ids, id) != i:
				v.Add(fmt.Sprintf("caller_ids[%d]", i), fmt.Sprintf("%s is listed twice", id))
			case !slices.Contains(owned, id):
				// A caller ID shows a number the company owns; any other is
				// the separate custom caller ID opt-in.
				v.Add(fmt.Sprintf("caller_ids[%d]", i), fmt.Sprintf("%s is not one of our numbers: buy or add it under Phone numbers first", id))
			}
		}
		u.CallerIDs = slices.Clone(ids)
	}
	if u.CallerIDs == nil {
		u.CallerIDs = []string{}
	}
	if in.GroupIDs != nil {
		if err := checkIDs(ctx, tx, &v, "group_ids", &Group{}, *in.GroupIDs); err != nil {
			return err
		}
	}
	if len(v.Fields) == 0 {
		if err := d.checkUserUnique(ctx, tx, u, &v); err != nil {
			return err
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	if in.SIPPassword != nil {
		u.setPassword(d.realm, *in.SIPPassword)
	}
	return nil
}

// checkUserUnique names the field a duplicate would break, which the unique
// index alone cannot tell the client.
func (d *Directory) checkUserUnique(ctx context.Context, tx *gorm.DB, u *User, v *invalid.Error) error {
	var n int64
	if err := tx.WithContext(ctx).Model(&User{}).Where("extension = ? AND id <> ?", u.Extension, u.ID).Count(&n).Error; err != nil {
		return err
	}
	if n > 0 {
		v.Add("extension", fmt.Sprintf("extension %s is already taken", u.Extension))
	}
	if err := tx.WithContext(ctx).Model(&User{}).Where("sip_username = ? AND id <> ?", u.SIPUsername, u.ID).Count(&n).Error; err != nil {
		return err
	}
	if n > 0 {
		v.Add("sip_username", fmt.Sprintf("SIP username %s is already taken", u.SIPUsername))
	}
	return nil
}

// uniqueUserError turns a unique-index violation that slipped past
// checkUserUnique (two writers at once) into a field error.
func (d *Directory) uniqueUserError(err error) error {
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return invalid.New("extension", "extension or SIP username is already taken")
	}
	return fmt.Errorf("save user: %w", err)
}

func checkName(s string, max int) string {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "must not be empty"
	case len([]rune(s)) > max:
		return fmt.Sprintf("must be at most %d characters", max)
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return "must not contain control characters"
	}
	return ""
}

// checkIDs refuses ids that are repeated or name no row of model's table.
func checkIDs(ctx context.Context, tx *gorm.DB, v *invalid.Error, field string, model any, ids []uint) error {
	for i, id := range ids {
		if slices.Index(ids, id) != i {
			v.Add(fmt.Sprintf("%s[%d]", field, i), fmt.Sprintf("%d is listed twice", id))
		}
	}
	if len(ids) == 0 {
		return nil
	}
	var found []uint
	if err := tx.WithContext(ctx).Model(model).Where("id IN ?", ids).Pluck("id", &found).Error; err != nil {
		return err
	}
	for i, id := range ids {
		if !slices.Contains(found, id) {
			v.Add(fmt.Sprintf("%s[%d]", field, i), fmt.Sprintf("%d does not exist", id))
		}
	}
	return nil
}

// setUserGroups makes userID a member of exactly groupIDs, appending it to
// groups it joins and keeping its place in groups it stays in.
func setUserGroups(tx *gorm.DB, userID uint, groupIDs []uint) error {
	var current []uint
	if err := tx.Model(&GroupMember{}).Where("user_id = ?", userID).Pluck("group_id", &current).Error; err != nil {
		return err
	}
	for _, g := range current {
		if !slices.Contains(groupIDs, g) {
			if err := tx.Where("group_id = ? AND user_id = ?", g, userID).Delete(&GroupMember{}).Error; err != nil {
				return err
			}
		}
	}
	for _, g := range groupIDs {
		if slices.Contains(current, g) {
			continue
		}
		var last struct{ Max *int }
		if err := tx.Model(&GroupMember{}).Select("MAX(position) AS max").Where("group_id = ?", g).Scan(&last).Error; err != nil {
			return err
		}
		pos := 0
		if last.Max != nil {
			pos = *last.Max + 1
		}
		if err := tx.Create(&GroupMember{GroupID: g, UserID: userID, Position: pos}).Error; err != nil {
			return err
		}
	}
	return nil
}

func (d *Directory) fillGroupIDs(ctx context.Context, tx *gorm.DB, users []User) error {
	if len(users) == 0 {
		return nil
	}
	ids := make([]uint, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	var rows []GroupMember
	if err := tx.WithContext(ctx).Where("user_id IN ?", ids).Order("group_id").Find(&rows).Error; err != nil {
		return fmt.Errorf("read memberships: %w", err)
	}
	byUser := make(map[uint][]uint, len(users))
	for _, r := range rows {
		byUser[r.UserID] = append(byUser[r.UserID], r.GroupID)
	}
	for i := range users {
		users[i].GroupIDs = byUser[users[i].ID]
		if users[i].GroupIDs == nil {
			users[i].GroupIDs = []uint{}
		}
		if users[i].CallerIDs == nil {
			users[i].CallerIDs = []string{}
		}
	}
	return nil
}

// forget drops what the caches hold after a change to users or groups.
func (d *Directory) forget() {
	d.accounts.clear()
	d.groups.clear()
	d.announce()
}

// announce tells whoever listens (other nodes) that a change was made.
func (d *Directory) announce() {
	if d.changed != nil {
		d.changed()
	}
}
