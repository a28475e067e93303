-- Search's change log (PostgreSQL version; the other dialect's file creates the same tables). The
-- search index (src/services/search.h) lives in memory, built from the tables at start-up; to
-- stay current it reads this log: triggers on every table it indexes append (kind, ref_id) in
-- the same transaction as the change, so no writer (checkout, menu edits, seeding) has to know
-- about search. kind: product (products, variants, attributes), item (menu_items), merchant,
-- poi (pois, poi_hours), category, brand.
CREATE TABLE search_changes (
  id {{pk}},
  kind TEXT NOT NULL,
  ref_id BIGINT NOT NULL
);

-- capture = FALSE stops the triggers during a bulk load (seeding); turning it back on bumps
-- generation, which makes every running index rebuild from the tables.
CREATE TABLE search_state (
  id BIGINT PRIMARY KEY CHECK (id = 1),
  capture {{bool}} NOT NULL DEFAULT TRUE,
  generation BIGINT NOT NULL DEFAULT 1
);
INSERT INTO search_state (id) VALUES (1);

-- The log is pruned from the front: an index that has not read up to pruned_through rebuilds.
-- A table of its own so that pruning never conflicts with writers that read search_state.
CREATE TABLE search_prune (
  id BIGINT PRIMARY KEY CHECK (id = 1),
  pruned_through BIGINT NOT NULL DEFAULT 0
);
INSERT INTO search_prune (id) VALUES (1);

-- One trigger function per key column; TG_ARGV[0] is the kind. An update that moves a row to
-- another parent notes both.
CREATE FUNCTION search_note_id() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT (SELECT capture FROM search_state WHERE id = 1) THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'DELETE' THEN
    INSERT INTO search_changes (kind, ref_id) VALUES (TG_ARGV[0], OLD.id);
    RETURN NULL;
  END IF;
  INSERT INTO search_changes (kind, ref_id) VALUES (TG_ARGV[0], NEW.id);
  IF TG_OP = 'UPDATE' AND OLD.id <> NEW.id THEN
    INSERT INTO search_changes (kind, ref_id) VALUES (TG_ARGV[0], OLD.id);
  END IF;
  RETURN NULL;
END $$;
CREATE FUNCTION search_note_product_id() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT (SELECT capture FROM search_state WHERE id = 1) THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'DELETE' THEN
    INSERT INTO search_changes (kind, ref_id) VALUES (TG_ARGV[0], OLD.product_id);
    RETURN NULL;
  END IF;
  INSERT INTO search_changes (kind, ref_id) VALUES (TG_ARGV[0], NEW.product_id);
  IF TG_OP = 'UPDATE' AND OLD.product_id <> NEW.product_id THEN
    INSERT INTO search_changes (kind, ref_id) VALUES (TG_ARGV[0], OLD.product_id);
  END IF;
  RETURN NULL;
END $$;
CREATE FUNCTION search_note_poi_id() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT (SELECT capture FROM search_state WHERE id = 1) THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'DELETE' THEN
    INSERT INTO search_changes (kind, ref_id) VALUES (TG_ARGV[0], OLD.poi_id);
    RETURN NULL;
  END IF;
  INSERT INTO search_changes (kind, ref_id) VALUES (TG_ARGV[0], NEW.poi_id);
  IF TG_OP = 'UPDATE' AND OLD.poi_id <> NEW.poi_id THEN
    INSERT INTO search_changes (kind, ref_id) VALUES (TG_ARGV[0], OLD.poi_id);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER search_products AFTER INSERT OR UPDATE OR DELETE ON products
  FOR EACH ROW EXECUTE FUNCTION search_note_id('product');
CREATE TRIGGER search_product_variants AFTER INSERT OR UPDATE OR DELETE ON product_variants
  FOR EACH ROW EXECUTE FUNCTION search_note_product_id('product');
CREATE TRIGGER search_product_attributes AFTER INSERT OR UPDATE OR DELETE ON product_attributes
  FOR EACH ROW EXECUTE FUNCTION search_note_product_id('product');
CREATE TRIGGER search_menu_items AFTER INSERT OR UPDATE OR DELETE ON menu_items
  FOR EACH ROW EXECUTE FUNCTION search_note_id('item');
CREATE TRIGGER search_merchants AFTER INSERT OR UPDATE OR DELETE ON merchants
  FOR EACH ROW EXECUTE FUNCTION search_note_id('merchant');
CREATE TRIGGER search_pois AFTER UPDATE OR DELETE ON pois
  FOR EACH ROW EXECUTE FUNCTION search_note_id('poi');
CREATE TRIGGER search_poi_hours AFTER INSERT OR UPDATE OR DELETE ON poi_hours
  FOR EACH ROW EXECUTE FUNCTION search_note_poi_id('poi');
CREATE TRIGGER search_categories AFTER INSERT OR UPDATE OR DELETE ON categories
  FOR EACH ROW EXECUTE FUNCTION search_note_id('category');
CREATE TRIGGER search_brands AFTER INSERT OR UPDATE OR DELETE ON brands
  FOR EACH ROW EXECUTE FUNCTION search_note_id('brand');
