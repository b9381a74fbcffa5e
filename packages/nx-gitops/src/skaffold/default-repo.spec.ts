import { GitopsError } from '../lib/errors';
import { substituteDefaultRepo } from './default-repo';

const digest = 'sha256:81daf011d63b68cfa514ddab7741a1adddd59d3264118dfb0fd9266328bb8883';
const longImage =
  'gcr.io/herewehaveanincrediblylongregistryname/herewealsohaveanabnormallylongimagename/doubtyouveseenanimagethislong/butyouneverknowdoyouimeanpeopledosomecrazystuffoutthere/goodluckpushingthistoanyregistrymyfriend';
const longExpected =
  'aws_account_id.dkr.ecr.region.amazonaws.com/gcr_io_herewehaveanincrediblylongregistryname_herewealsohaveanabnormallylongimagename_doubtyouveseenanimagethislong_butyouneverknowdoyouimeanpeopledosomecrazystuffoutthere_goodluckpushingthistoanyregistrymyfrien';

describe('substituteDefaultRepo', () => {
  // Every vector of skaffold's pkg/skaffold/docker/default_repo_test.go (TestImageReplaceDefaultRepo).
  it.each<[string, string, string | undefined, boolean | undefined, string]>([
    ['basic GCR concatenation', 'gcr.io/some/registry', 'gcr.io/default', undefined, 'gcr.io/default/gcr.io/some/registry'],
    ['basic GCR concatenation without multi-level', 'gcr.io/some/registry', 'gcr.io/default', false, 'gcr.io/default/gcr.io/some/registry'],
    ['basic AR concatenation', 'github.com/org/app', 'us-central1-docker.pkg.dev/default', undefined, 'us-central1-docker.pkg.dev/default/github.com/org/app'],
    ['basic AR concatenation without multi-level', 'github.com/org/app', 'us-central1-docker.pkg.dev/default', false, 'us-central1-docker.pkg.dev/default/github.com/org/app'],
    ['no default repo set', 'gcr.io/some/registry', undefined, undefined, 'gcr.io/some/registry'],
    ['provided image has defaultRepo prefix', 'gcr.io/default/registry', 'gcr.io/default', undefined, 'gcr.io/default/registry'],
    ['provided image has defaultRepo eu prefix', 'eu.gcr.io/project/registry', 'eu.gcr.io/project', undefined, 'eu.gcr.io/project/registry'],
    ['image has shared prefix with defaultRepo', 'gcr.io/default/example/registry', 'gcr.io/default/repository', undefined, 'gcr.io/default/repository/example/registry'],
    ['aws', 'gcr.io/some/registry', 'aws_account_id.dkr.ecr.region.amazonaws.com', undefined, 'aws_account_id.dkr.ecr.region.amazonaws.com/gcr_io_some_registry'],
    ['aws multi-level', 'gcr.io/some/registry', 'aws_account_id.dkr.ecr.region.amazonaws.com', true, 'aws_account_id.dkr.ecr.region.amazonaws.com/gcr.io/some/registry'],
    ['aws over 255 chars', longImage, 'aws_account_id.dkr.ecr.region.amazonaws.com', undefined, longExpected],
    ['normal GCR concatenation with numbers and other characters', 'gcr.io/k8s-skaffold/skaffold-example', 'gcr.io/k8s-skaffold', undefined, 'gcr.io/k8s-skaffold/skaffold-example'],
    ['image has shared prefix with defaultRepo, but not gcr', 'myrepo/skaffold-example', 'myrepo', undefined, 'myrepo/skaffold-example'],
    ['ko with GCR', 'ko://example.com/cmd/app', 'gcr.io/default', undefined, 'gcr.io/default/example.com/cmd/app'],
    ['ko not with GCR', 'ko://example.com/cmd/app', 'myrepo', undefined, 'myrepo/example_com_cmd_app'],
    ['ko multi-level not with GCR', 'ko://example.com/cmd/app', 'myrepo', true, 'myrepo/example.com/cmd/app'],
    ['keep tag', 'img:tag', 'gcr.io/default', undefined, 'gcr.io/default/img:tag'],
    ['keep digest', `img@${digest}`, 'gcr.io/default', undefined, `gcr.io/default/img@${digest}`],
    ['keep tag and digest', `img:tag@${digest}`, 'gcr.io/default', undefined, `gcr.io/default/img:tag@${digest}`],
  ])('%s', (_description, image, defaultRepo, multiLevelRepo, expected) => {
    expect(substituteDefaultRepo({ image, defaultRepo, multiLevelRepo })).toBe(expected);
  });

  it('invalid: throws a GitopsError naming the image', () => {
    expect(() => substituteDefaultRepo({ image: '!!invalid!!', defaultRepo: 'gcr.io/default' })).toThrow(GitopsError);
    expect(() => substituteDefaultRepo({ image: '!!invalid!!', defaultRepo: 'gcr.io/default' })).toThrow('!!invalid!!');
  });

  it('leaves even an invalid image alone when there is no default repo, as skaffold does', () => {
    expect(substituteDefaultRepo({ image: '!!invalid!!', defaultRepo: '' })).toBe('!!invalid!!');
  });

  it('cuts before appending the tag, so a long name keeps its whole tag', () => {
    const result = substituteDefaultRepo({
      image: `${longImage}:v1.2.3`,
      defaultRepo: 'aws_account_id.dkr.ecr.region.amazonaws.com',
    });
    expect(result).toBe(`${longExpected}:v1.2.3`);
  });
});
