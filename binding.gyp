{
  "targets": [
    {
      "target_name": "breakwater",
      "sources": ["native/binding/binding.cc"],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "native"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags_cc": [
        "-std=c++17",
        "-O3",
        "-fvisibility=hidden",
        "-fno-exceptions",
        "-ffp-contract=off",
        "-Wall",
        "-Wextra"
      ],
      "xcode_settings": {
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "GCC_OPTIMIZATION_LEVEL": "3",
        "GCC_SYMBOLS_PRIVATE_EXTERN": "YES",
        "GCC_ENABLE_CPP_EXCEPTIONS": "NO",
        "OTHER_CPLUSPLUSFLAGS": ["-ffp-contract=off"],
        "MACOSX_DEPLOYMENT_TARGET": "10.15"
      }
    }
  ]
}
