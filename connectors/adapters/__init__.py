"""One module per connector type: http_json, sql, file_drop, webhook, simulator."""
