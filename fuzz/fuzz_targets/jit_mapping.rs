#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| gatehouse_jit::fuzzing::map_and_decide(data));
