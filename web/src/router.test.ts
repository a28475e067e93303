import { describe, expect, it } from 'vitest';
import { routes } from './app';
import { matchRoute, queryParam } from './router';

describe('matchRoute', () => {
  it('matches every page of the app with its parameters', () => {
    expect(matchRoute(routes, '/')?.view).toBe('chat');
    expect(matchRoute(routes, '/chat?s=ses_1')?.view).toBe('chat');
    expect(matchRoute(routes, '/orders')?.view).toBe('orders');
    expect(matchRoute(routes, '/orders/42')).toEqual({ view: 'order', params: { id: '42' } });
    expect(matchRoute(routes, '/orders/42/')).toEqual({ view: 'order', params: { id: '42' } });
    expect(matchRoute(routes, '/bookings')?.view).toBe('bookings');
    expect(matchRoute(routes, '/wallet')?.view).toBe('wallet');
    expect(matchRoute(routes, '/merchant')?.view).toBe('merchant');
    expect(matchRoute(routes, '/merchant/menu')?.view).toBe('merchant_menu');
    expect(matchRoute(routes, '/merchant/sales')?.view).toBe('merchant_sales');
    expect(matchRoute(routes, '/signin?next=%2Fwallet')?.view).toBe('signin');
    expect(matchRoute(routes, '/nowhere')).toBeNull();
    expect(matchRoute(routes, '/orders/%E0%A4%A')).toBeNull();
  });

  it('reads query parameters', () => {
    expect(queryParam('/chat?s=ses_1', 's')).toBe('ses_1');
    expect(queryParam('/signin?next=%2Forders%2F4', 'next')).toBe('/orders/4');
    expect(queryParam('/chat', 's')).toBeNull();
  });
});
