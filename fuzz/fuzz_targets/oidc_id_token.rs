#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| gatehouse_oidc::fuzzing::id_token(data));
