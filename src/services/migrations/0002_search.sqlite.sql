-- Search's change log (SQLite version; the other dialect's file creates the same tables). The
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

-- One trigger per table and operation; an update that moves a row to another parent notes both.
CREATE TRIGGER search_products_ins AFTER INSERT ON products WHEN (SELECT capture FROM search_state WHERE id = 1) = 1
BEGIN INSERT INTO search_changes (kind, ref_id) VALUES ('product', NEW.id); END;
CREATE TRIGGER search_products_upd AFTER UPDATE ON products WHEN (SELECT capture FROM search_state WHERE id = 1) = 1
BEGIN
  INSERT INTO search_changes (kind, ref_id) VALUES ('product', NEW.id);
END;
CREATE TRIGGER search_products_del AFTER DELETE ON products WHEN (SELECT capture FROM search_state WHERE id = 1) = 1
BEGIN INSERT INTO search_changes (kind, ref_id) VALUES ('product', OLD.id); END;
CREATE TRIGGER search_product_variants_ins AFTER INSERT ON product_variants WHEN (SELECT capture FROM search_state WHERE id = 1) = 1
BEGIN INSERT INTO search_changes (kind, ref_id) VALUES ('product', NEW.product_id); END;
CREATE TRIGGER search_product_variants_upd AFTER UPDATE ON product_variants WHEN (SELECT capture FROM search_state WHERE id = 1) = 1
BEGIN
  INSERT INTO search_changes (kind, ref_id) VALUES ('product', NEW.product_id);
  INSERT INTO search_changes (kind, ref_id) SELECT 'product', OLD.product_id WHERE OLD.product_id <> NEW.product_id;
END;
CREATE TRIGGER search_product_variants_del AFTER DELETE ON product_variants WHEN (SELECT capture FROM search_state WHERE id = 1) = 1
BEGIN INSERT INTO search_changes (kind, ref_id) VALUES ('product', OLD.product_id); END;
CREATE TRIGGER search_product_attributes_ins AFTER INSERT ON product_attributes WHEN (SELECT capture FROM search_state WHERE id = 1) = 1
BEGIN INSERT INTO search_changes (kind, ref_id) VALUES ('product', NEW.product_id); END;
CREATE TRIGGER search_product_attributes_upd AFTER UPDATE ON product_attributes WHEN (SELECT capture FROM search_state WHERE id = 1) = 1
BEGIN
  INSERT INTO search_changes (kind, ref_id) VALUES ('product', NEW.product_id);
  INSERT INTO search_changes (kind, ref_id) SELECT 'product', OLD.product_id WHERE OLD.product_id <> NEW.product_id;
END;
CREATE TRIGGER search_product_attributes_del AFTER DELETE ON product_attributes WHEN (SELECT capture FROM search_state WHERE id = 1) = 1
BEGIN INSERT INTO search_changes (kind, ref_id) VALUES ('product', OLD.product_id); END;
CREATE TRIGGER search_menu_items_ins AFTER INSERT ON menu_items WHEN (SELECT capture FROM search_state WHERE id = 1) = 1
BEGIN INSERT INTO search_changes (kind, ref_id) VALUES ('item', NEW.id); END;
CREATE TRIGGER search_menu_items_upd AFTER UPDATE ON menu_items WHEN (SELECT capture FROM search_state WHERE id = 1) = 1
BEGIN
  INSERT INTO search_changes (kind, ref_id) VALUES ('item', NEW.id);
END;
CREATE TRIGGER search_menu_items_del AFTER DELETE ON menu_items WHEN (SELECT capture FROM search_state WHERE id = 1) = 1
BEGIN INSERT INTO search_changes (kind, ref_id) VALUES ('item', OLD.id); END;
CREATE TRIGGER search_merchants_ins AFTER INSERT ON merchants WHEN (SELECT capture FROM search_state WHERE id = 1) = 1
BEGIN INSERT INTO search_changes (kind, ref_id) VALUES ('merchant', NEW.id); END;
CREATE TRIGGER search_merchants_upd AFTER UPDATE ON merchants WHEN (SELECT capture FROM search_state WHERE id = 1) = 1
BEGIN
  INSERT INTO search_changes (kind, ref_id) VALUES ('merchant', NEW.id);
END;
CREATE TRIGGER search_merchants_del AFTER DELETE ON merchants WHEN (SELECT capture FROM search_state WHERE id = 1) = 1
BEGIN INSERT INTO search_changes (kind, ref_id) VALUES ('merchant', OLD.id); END;
CREATE TRIGGER search_pois_upd AFTER UPDATE ON pois WHEN (SELECT capture FROM search_state WHERE id = 1) = 1
BEGIN
  INSERT INTO search_changes (kind, ref_id) VALUES ('poi', NEW.id);
END;
CREATE TRIGGER search_pois_del AFTER DELETE ON pois WHEN (SELECT capture FROM search_state WHERE id = 1) = 1
BEGIN INSERT INTO search_changes (kind, ref_id) VALUES ('poi', OLD.id); END;
CREATE TRIGGER search_poi_hours_ins AFTER INSERT ON poi_hours WHEN (SELECT capture FROM search_state WHERE id = 1) = 1
BEGIN INSERT INTO search_changes (kind, ref_id) VALUES ('poi', NEW.poi_id); END;
CREATE TRIGGER search_poi_hours_upd AFTER UPDATE ON poi_hours WHEN (SELECT capture FROM search_state WHERE id = 1) = 1
BEGIN
  INSERT INTO search_changes (kind, ref_id) VALUES ('poi', NEW.poi_id);
  INSERT INTO search_changes (kind, ref_id) SELECT 'poi', OLD.poi_id WHERE OLD.poi_id <> NEW.poi_id;
END;
CREATE TRIGGER search_poi_hours_del AFTER DELETE ON poi_hours WHEN (SELECT capture FROM search_state WHERE id = 1) = 1
BEGIN INSERT INTO search_changes (kind, ref_id) VALUES ('poi', OLD.poi_id); END;
CREATE TRIGGER search_categories_ins AFTER INSERT ON categories WHEN (SELECT capture FROM search_state WHERE id = 1) = 1
BEGIN INSERT INTO search_changes (kind, ref_id) VALUES ('category', NEW.id); END;
CREATE TRIGGER search_categories_upd AFTER UPDATE ON categories WHEN (SELECT capture FROM search_state WHERE id = 1) = 1
BEGIN
  INSERT INTO search_changes (kind, ref_id) VALUES ('category', NEW.id);
END;
CREATE TRIGGER search_categories_del AFTER DELETE ON categories WHEN (SELECT capture FROM search_state WHERE id = 1) = 1
BEGIN INSERT INTO search_changes (kind, ref_id) VALUES ('category', OLD.id); END;
CREATE TRIGGER search_brands_ins AFTER INSERT ON brands WHEN (SELECT capture FROM search_state WHERE id = 1) = 1
BEGIN INSERT INTO search_changes (kind, ref_id) VALUES ('brand', NEW.id); END;
CREATE TRIGGER search_brands_upd AFTER UPDATE ON brands WHEN (SELECT capture FROM search_state WHERE id = 1) = 1
BEGIN
  INSERT INTO search_changes (kind, ref_id) VALUES ('brand', NEW.id);
END;
CREATE TRIGGER search_brands_del AFTER DELETE ON brands WHEN (SELECT capture FROM search_state WHERE id = 1) = 1
BEGIN INSERT INTO search_changes (kind, ref_id) VALUES ('brand', OLD.id); END;
