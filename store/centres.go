package store

import (
	"context"
	"fmt"
)

// Centre is one site of the association.
type Centre struct {
	ID   int64
	Slug string
	Name string
}

// EnsureCentre returns the centre with this slug, creating it if needed.
func (s *Store) EnsureCentre(ctx context.Context, slug, name string) (Centre, error) {
	var c Centre
	err := s.pool.QueryRow(ctx, `INSERT INTO centres (slug, name) VALUES ($1, $2)
		ON CONFLICT (slug) DO UPDATE SET slug = EXCLUDED.slug
		RETURNING id, slug, name`, slug, name).Scan(&c.ID, &c.Slug, &c.Name)
	if err != nil {
		return Centre{}, fmt.Errorf("store: ensure centre: %w", err)
	}
	return c, nil
}

// CentreBySlug returns a centre or ErrNotFound.
func (s *Store) CentreBySlug(ctx context.Context, slug string) (Centre, error) {
	var c Centre
	err := s.pool.QueryRow(ctx, `SELECT id, slug, name FROM centres WHERE slug = $1`, slug).
		Scan(&c.ID, &c.Slug, &c.Name)
	if err != nil {
		return Centre{}, fmt.Errorf("store: centre %q: %w", slug, notFound(err))
	}
	return c, nil
}
