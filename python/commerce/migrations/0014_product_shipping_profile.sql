-- A product ships under one shipping profile (Medusa's product <-> shipping profile link).
ALTER TABLE product ADD COLUMN shipping_profile_id text;
