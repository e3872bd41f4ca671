DROP TABLE idempotency_keys;
DROP TABLE change_horizon;
DROP TABLE changes;
