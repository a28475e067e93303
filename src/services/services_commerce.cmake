# Commerce: cart, coupons, orders (checkout, lifecycle, refunds, after-sales), payments
# (wallet, top-up, limits), the fulfilment worker and merchants' menu and product tools.
list(APPEND QWL_SERVICES_SOURCES
     ${CMAKE_CURRENT_LIST_DIR}/cart.cpp
     ${CMAKE_CURRENT_LIST_DIR}/coupons.cpp
     ${CMAKE_CURRENT_LIST_DIR}/payments.cpp
     ${CMAKE_CURRENT_LIST_DIR}/orders.cpp
     ${CMAKE_CURRENT_LIST_DIR}/fulfilment.cpp
     ${CMAKE_CURRENT_LIST_DIR}/merchant_admin.cpp)
qwl_test(services_commerce_tests LABEL services
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/orders_testing.cpp
          ${CMAKE_CURRENT_LIST_DIR}/cart_test.cpp
          ${CMAKE_CURRENT_LIST_DIR}/coupons_test.cpp
          ${CMAKE_CURRENT_LIST_DIR}/orders_test.cpp
          ${CMAKE_CURRENT_LIST_DIR}/payments_test.cpp
          ${CMAKE_CURRENT_LIST_DIR}/merchant_admin_test.cpp
          ${CMAKE_CURRENT_LIST_DIR}/orders_concurrency_test.cpp
  DEPS qwl_services_testing)

if(QWL_BUILD_BENCH)
  # Checkout latency and throughput on a seeded city (docs/PERFORMANCE.md, "Ecosystem").
  add_executable(bench_checkout ${PROJECT_SOURCE_DIR}/bench/ecosystem/bench_checkout.cpp)
  target_link_libraries(bench_checkout PRIVATE qwl_services)
endif()
