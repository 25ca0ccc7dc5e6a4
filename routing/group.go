package routing

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"pbx/invalid"
)

// Group is a named, ordered set of users that a flow can ring together.
type Group struct {
	ID          uint      `gorm:"primaryKey" json:"id"`
	Name        string    `gorm:"size:100;not null;uniqueIndex" json:"name"`
	Description string    `gorm:"size:500;not null;default:''" json:"description"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`

	// MemberIDs are the users in the group, in ring order.
	MemberIDs []uint `gorm:"-" json:"member_ids"`
}

// GroupMember places one user in one group at a position.
type GroupMember struct {
	GroupID  uint `gorm:"primaryKey;autoIncrement:false"`
	UserID   uint `gorm:"primaryKey;autoIncrement:false;index"`
	Position int  `gorm:"not null"`
}

// GroupInput is what a client sends to create or change a group. A nil field
// is left as it is on update.
type GroupInput struct {
	Name        *string `json:"name"`
	Description *string `json:"description"`
	MemberIDs   *[]uint `json:"member_ids"`
}

// Models lists the tables routing owns, for migration.
func Models() []any {
	return []any{&User{}, &Group{}, &GroupMember{}, &Number{}, &Flow{}, &FlowVersion{}, &CallRecord{}}
}

// ListGroups returns every group ordered by name.
func (d *Directory) ListGroups(ctx context.Context) ([]Group, error) {
	var groups []Group
	if err := d.db.WithContext(ctx).Order("name").Find(&groups).Error; err != nil {
		return nil, fmt.Errorf("list groups: %w", err)
	}
	return groups, d.fillMemberIDs(ctx, d.db, groups)
}

// groupForCall is Group from memory when recent: a call ringing a group
// must not read its members from the database each time.
func (d *Directory) groupForCall(ctx context.Context, id uint) (Group, error) {
	if g, ok := d.groups.get(id); ok {
		return g, nil
	}
	gen := d.groups.generation() // a change made during the read is not cached over
	g, err := d.Group(ctx, id)
	if err == nil {
		d.groups.putIf(gen, id, g)
	}
	return g, err
}

// Group returns the group with id, or ErrNotFound.
func (d *Directory) Group(ctx context.Context, id uint) (Group, error) {
	return d.group(ctx, d.db, id)
}

func (d *Directory) group(ctx context.Context, tx *gorm.DB, id uint) (Group, error) {
	var g Group
	err := tx.WithContext(ctx).First(&g, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return g, fmt.Errorf("group %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return g, fmt.Errorf("group %d: %w", id, err)
	}
	groups := []Group{g}
	if err := d.fillMemberIDs(ctx, tx, groups); err != nil {
		return g, err
	}
	return groups[0], nil
}

// CreateGroup validates in and stores a new group.
func (d *Directory) CreateGroup(ctx context.Context, in GroupInput) (Group, error) {
	var g Group
	err := d.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := applyGroup(ctx, tx, &g, in, true); err != nil {
			return err
		}
		if err := tx.Create(&g).Error; err != nil {
			return uniqueGroupError(err)
		}
		if in.MemberIDs != nil {
			return setMembers(tx, g.ID, *in.MemberIDs)
		}
		return nil
	})
	if err != nil {
		return Group{}, err
	}
	d.forget()
	return d.Group(ctx, g.ID)
}

// UpdateGroup changes the fields in sets; MemberIDs, when given, replaces the
// members and their order.
func (d *Directory) UpdateGroup(ctx context.Context, id uint, in GroupInput) (Group, error) {
	err := d.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		g, err := d.group(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := applyGroup(ctx, tx, &g, in, false); err != nil {
			return err
		}
		if err := tx.Select("*").Omit("created_at").Save(&g).Error; err != nil {
			return uniqueGroupError(err)
		}
		if in.MemberIDs != nil {
			return setMembers(tx, g.ID, *in.MemberIDs)
		}
		return nil
	})
	if err != nil {
		return Group{}, err
	}
	d.forget()
	return d.Group(ctx, id)
}

// DeleteGroup removes the group and its memberships; the users stay. A
// group that flows transfer calls to is kept: an *invalid.InUseError names
// the flows.
func (d *Directory) DeleteGroup(ctx context.Context, id uint) error {
	defer d.forget()
	return d.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if _, err := d.group(ctx, tx, id); err != nil {
			return err
		}
		flows, err := FlowsUsingGroup(tx, id)
		if err != nil {
			return err
		}
		if err := invalid.InUse("the group", flows, nil); err != nil {
			return err
		}
		res := tx.Delete(&Group{}, id)
		if res.Error != nil {
			return fmt.Errorf("delete group %d: %w", id, res.Error)
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("group %d: %w", id, ErrNotFound)
		}
		return tx.Where("group_id = ?", id).Delete(&GroupMember{}).Error
	})
}

func applyGroup(ctx context.Context, tx *gorm.DB, g *Group, in GroupInput, create bool) error {
	var v invalid.Error
	if in.Name == nil && create {
		v.Add("name", "is required")
	}
	if in.Name != nil {
		if msg := checkName(*in.Name, 100); msg != "" {
			v.Add("name", msg)
		}
		g.Name = strings.TrimSpace(*in.Name)
	}
	if in.Description != nil {
		if len([]rune(*in.Description)) > 500 {
			v.Add("description", "must be at most 500 characters")
		}
		g.Description = strings.TrimSpace(*in.Description)
	}
	if in.MemberIDs != nil {
		if err := checkIDs(ctx, tx, &v, "member_ids", &User{}, *in.MemberIDs); err != nil {
			return err
		}
	}
	if in.Name != nil && len(v.Fields) == 0 {
		var n int64
		if err := tx.WithContext(ctx).Model(&Group{}).Where("name = ? AND id <> ?", g.Name, g.ID).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			v.Add("name", fmt.Sprintf("a group named %q already exists", g.Name))
		}
	}
	return v.Err()
}

func uniqueGroupError(err error) error {
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return invalid.New("name", "a group with this name already exists")
	}
	return fmt.Errorf("save group: %w", err)
}

// setMembers replaces the members of groupID with userIDs, in that order.
func setMembers(tx *gorm.DB, groupID uint, userIDs []uint) error {
	if err := tx.Where("group_id = ?", groupID).Delete(&GroupMember{}).Error; err != nil {
		return err
	}
	if len(userIDs) == 0 {
		return nil
	}
	rows := make([]GroupMember, len(userIDs))
	for i, u := range userIDs {
		rows[i] = GroupMember{GroupID: groupID, UserID: u, Position: i}
	}
	return tx.Create(&rows).Error
}

func (d *Directory) fillMemberIDs(ctx context.Context, tx *gorm.DB, groups []Group) error {
	if len(groups) == 0 {
		return nil
	}
	ids := make([]uint, len(groups))
	for i, g := range groups {
		ids[i] = g.ID
	}
	var rows []GroupMember
	if err := tx.WithContext(ctx).Where("group_id IN ?", ids).Order("position").Find(&rows).Error; err != nil {
		return fmt.Errorf("read members: %w", err)
	}
	byGroup := make(map[uint][]uint, len(groups))
	for _, r := range rows {
		byGroup[r.GroupID] = append(byGroup[r.GroupID], r.UserID)
	}
	for i := range groups {
		groups[i].MemberIDs = byGroup[groups[i].ID]
		if groups[i].MemberIDs == nil {
			groups[i].MemberIDs = []uint{}
		}
	}
	return nil
}
