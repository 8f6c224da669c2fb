// HeraldConfig: placeholder, replaced by the real module.
