// HeraldRuntime: placeholder, replaced by the real module.
